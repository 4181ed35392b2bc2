// Who the user is. Local mode: a development user, no password. AWS: Cognito hosted UI with
// the authorization code flow and PKCE; the ID token goes on API calls and the stream URL.

const TOKEN_KEY = "genai-chat.id-token";
const VERIFIER_KEY = "genai-chat.pkce-verifier";
const STATE_KEY = "genai-chat.pkce-state";

export function createAuth(config) {
  return config.auth?.type === "cognito" ? new CognitoAuth(config.auth) : new LocalAuth(config.auth ?? {});
}

class LocalAuth {
  constructor(auth) {
    this.user = { name: auth.user ?? "local-dev-user", detail: "Development user · local mode, no password" };
  }
  async ready() { return true; }
  token() { return null; }
  headers() { return {}; }
  signOut() {}
  get canSignOut() { return false; }
}

class CognitoAuth {
  constructor(auth) {
    this.auth = auth;
    this.redirectUri = auth.redirectUri ?? `${location.origin}${location.pathname}`;
    this.user = null;
  }

  // Resolves true when signed in; otherwise starts the hosted UI redirect.
  async ready() {
    const params = new URLSearchParams(location.search);
    if (params.has("code")) await this.#exchange(params.get("code"), params.get("state"));
    const token = this.token();
    if (!token) {
      await this.#redirectToSignIn();
      return false;
    }
    const claims = decodeClaims(token);
    this.user = { name: claims.email ?? claims["cognito:username"] ?? claims.sub, detail: "Signed in with Cognito" };
    return true;
  }

  token() {
    const stored = sessionStorage.getItem(TOKEN_KEY);
    if (!stored) return null;
    const claims = decodeClaims(stored);
    if (!claims.exp || claims.exp * 1000 < Date.now() + 30_000) {
      sessionStorage.removeItem(TOKEN_KEY);
      return null;
    }
    return stored;
  }

  headers() {
    const token = this.token();
    return token ? { Authorization: token } : {};
  }

  get canSignOut() { return true; }

  signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    const url = new URL(`https://${this.auth.domain}/logout`);
    url.searchParams.set("client_id", this.auth.clientId);
    url.searchParams.set("logout_uri", this.redirectUri);
    location.assign(url);
  }

  async #redirectToSignIn() {
    const verifier = randomString(64);
    const state = randomString(24);
    sessionStorage.setItem(VERIFIER_KEY, verifier);
    sessionStorage.setItem(STATE_KEY, state);
    const url = new URL(`https://${this.auth.domain}/oauth2/authorize`);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", this.auth.clientId);
    url.searchParams.set("redirect_uri", this.redirectUri);
    url.searchParams.set("scope", (this.auth.scopes ?? ["openid", "email"]).join(" "));
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge_method", "S256");
    url.searchParams.set("code_challenge", await challengeOf(verifier));
    location.assign(url);
  }

  async #exchange(code, state) {
    const verifier = sessionStorage.getItem(VERIFIER_KEY);
    const expectedState = sessionStorage.getItem(STATE_KEY);
    sessionStorage.removeItem(VERIFIER_KEY);
    sessionStorage.removeItem(STATE_KEY);
    history.replaceState(null, "", this.redirectUri);
    if (!verifier || state !== expectedState) throw new Error("sign-in response does not match this browser session");
    const response = await fetch(`https://${this.auth.domain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: this.auth.clientId,
        code,
        redirect_uri: this.redirectUri,
        code_verifier: verifier,
      }),
    });
    if (!response.ok) throw new Error("sign-in failed: the code could not be exchanged");
    const { id_token: idToken } = await response.json();
    sessionStorage.setItem(TOKEN_KEY, idToken);
  }
}

function decodeClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

function randomString(length) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  const values = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(values, (v) => alphabet[v % alphabet.length]).join("");
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return btoa(String.fromCharCode(...new Uint8Array(digest))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
