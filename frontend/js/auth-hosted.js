// Sign-in through the user pool's hosted UI: authorization code flow with PKCE, used when the
// pool has a domain (always so with federated OIDC or SAML identity providers).

const VERIFIER_KEY = "genai-chat.pkce-verifier";
const STATE_KEY = "genai-chat.pkce-state";

export class HostedUiSignIn {
  constructor(config) {
    this.domain = config.cognitoDomain.replace(/\/$/, "");
    this.clientId = config.userPoolClientId;
    // The callback URL registered on the app client: the site's origin, or its page path.
    this.redirectUri = location.origin + (location.pathname === "/" ? "" : location.pathname);
  }

  // After Cognito redirects back with ?code=, trades the code for tokens.
  async completeRedirect() {
    const params = new URLSearchParams(location.search);
    if (!params.has("code")) return null;
    const verifier = sessionStorage.getItem(VERIFIER_KEY);
    const expectedState = sessionStorage.getItem(STATE_KEY);
    sessionStorage.removeItem(VERIFIER_KEY);
    sessionStorage.removeItem(STATE_KEY);
    history.replaceState(null, "", location.pathname + location.hash);
    if (!verifier || params.get("state") !== expectedState) {
      throw new Error("The sign-in response does not belong to this browser session.");
    }
    const tokens = await this.#token({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: this.redirectUri,
      code_verifier: verifier,
    });
    return { idToken: tokens.id_token, refreshToken: tokens.refresh_token };
  }

  // Leaves the page for the hosted UI; the promise never settles because the page unloads.
  async signIn() {
    const verifier = randomString(64);
    const state = randomString(24);
    sessionStorage.setItem(VERIFIER_KEY, verifier);
    sessionStorage.setItem(STATE_KEY, state);
    const url = new URL(`${this.domain}/oauth2/authorize`);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", this.clientId);
    url.searchParams.set("redirect_uri", this.redirectUri);
    url.searchParams.set("scope", "openid email profile");
    url.searchParams.set("state", state);
    url.searchParams.set("code_challenge_method", "S256");
    url.searchParams.set("code_challenge", await challengeOf(verifier));
    location.assign(url);
    return new Promise(() => {});
  }

  async refresh(refreshToken) {
    const tokens = await this.#token({ grant_type: "refresh_token", refresh_token: refreshToken });
    return { idToken: tokens.id_token, refreshToken };
  }

  async signOut() {
    const url = new URL(`${this.domain}/logout`);
    url.searchParams.set("client_id", this.clientId);
    url.searchParams.set("logout_uri", this.redirectUri);
    location.assign(url);
  }

  async #token(fields) {
    const response = await fetch(`${this.domain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: this.clientId, ...fields }),
    });
    if (!response.ok) throw new Error("Sign-in failed: Cognito did not issue tokens.");
    return response.json();
  }
}

function randomString(length) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  // 256 is a multiple of the alphabet's 64 characters, so every character is equally likely.
  const values = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(values, (v) => alphabet[v % alphabet.length]).join("");
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return btoa(String.fromCharCode(...new Uint8Array(digest))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
