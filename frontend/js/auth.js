// Who the user is, from config.json. Local mode: a development user, no password. Deployed:
// Cognito, through the hosted UI when the pool has a domain, otherwise the page's own SRP
// sign-in form. The ID token goes on API calls (Authorization) and on the stream URL (token).
import { HostedUiSignIn } from "./auth-hosted.js";
import { PasswordSignIn } from "./auth-password.js";
import { SignInForm } from "./sign-in-form.js";

const ID_TOKEN_KEY = "genai-chat.id-token";
const REFRESH_TOKEN_KEY = "genai-chat.refresh-token";
const EXPIRY_MARGIN_MS = 60_000;

export function createAuth(config, signInDialog) {
  if (config.mode === "local") return new LocalAuth(config.localUser);
  if (!config.region || !config.userPoolId || !config.userPoolClientId) {
    throw new Error("config.json names no Cognito user pool: the page cannot sign you in.");
  }
  const flow = config.cognitoDomain
    ? new HostedUiSignIn(config)
    : new PasswordSignIn(config, new SignInForm(signInDialog));
  return new CognitoAuth(flow);
}

class LocalAuth {
  constructor(user = "local-dev-user") {
    this.user = { name: user, detail: "Development user · local mode, no password" };
  }
  async ready() {}
  async token() { return null; }
  get canSignOut() { return false; }
  signOut() {}
}

class CognitoAuth {
  constructor(flow) {
    this.flow = flow;
    this.user = null;
    this.pending = null;
  }

  async ready() {
    const redirected = await this.flow.completeRedirect?.();
    if (redirected) this.#store(redirected);
    const claims = decodeClaims(await this.token());
    this.user = { name: claims.email ?? claims["cognito:username"] ?? claims.sub, detail: "Signed in with Cognito" };
  }

  // A valid ID token: the stored one, a refreshed one, or one from signing in again.
  async token() {
    const stored = sessionStorage.getItem(ID_TOKEN_KEY);
    if (stored && isFresh(stored)) return stored;
    this.pending ??= this.#renew().finally(() => { this.pending = null; });
    return this.pending;
  }

  get canSignOut() { return true; }

  signOut() {
    const refreshToken = sessionStorage.getItem(REFRESH_TOKEN_KEY);
    sessionStorage.removeItem(ID_TOKEN_KEY);
    sessionStorage.removeItem(REFRESH_TOKEN_KEY);
    this.flow.signOut(refreshToken);
  }

  async #renew() {
    const refreshToken = sessionStorage.getItem(REFRESH_TOKEN_KEY);
    const refreshed = refreshToken ? await this.flow.refresh(refreshToken).catch(() => null) : null;
    const tokens = refreshed ?? (await this.flow.signIn());
    this.#store(tokens);
    return tokens.idToken;
  }

  #store(tokens) {
    sessionStorage.setItem(ID_TOKEN_KEY, tokens.idToken);
    if (tokens.refreshToken) sessionStorage.setItem(REFRESH_TOKEN_KEY, tokens.refreshToken);
  }
}

function isFresh(token) {
  const { exp } = decodeClaims(token);
  return Boolean(exp) && exp * 1000 > Date.now() + EXPIRY_MARGIN_MS;
}

function decodeClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}
