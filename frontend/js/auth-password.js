// Sign-in on the page itself against the Cognito user pool API: SRP password proof, then the
// challenges a pool can raise (a new password for invited users, a TOTP code when MFA is on).
import { ephemeralPair, passwordVerifier } from "./srp.js";

export class SignInError extends Error {}

class UserPoolApi {
  constructor(region, clientId) {
    this.endpoint = `https://cognito-idp.${region}.amazonaws.com/`;
    this.clientId = clientId;
  }

  async call(action, body) {
    let response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
        },
        body: JSON.stringify({ ClientId: this.clientId, ...body }),
      });
    } catch {
      throw new SignInError("The sign-in service cannot be reached. Check your connection.");
    }
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) throw new SignInError(payload.message ?? "Sign-in failed.");
    return payload;
  }
}

export class PasswordSignIn {
  constructor(config, form) {
    this.userPoolId = config.userPoolId;
    this.api = new UserPoolApi(config.region, config.userPoolClientId);
    this.form = form;
  }

  // Shows the form until the user is signed in; resolves with the tokens.
  signIn() {
    return this.form.run((step, values) => this.#answer(step, values));
  }

  async refresh(refreshToken) {
    const { AuthenticationResult: result } = await this.api.call("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      AuthParameters: { REFRESH_TOKEN: refreshToken },
    });
    return { idToken: result.IdToken, refreshToken };
  }

  // Ends the refresh token's life at Cognito, not only in this tab.
  async signOut(refreshToken) {
    if (refreshToken) await this.api.call("RevokeToken", { Token: refreshToken }).catch(() => {});
    location.reload();
  }

  // One form submission: returns tokens, or the next step the pool asks for.
  async #answer(step, values) {
    if (step === "password") return this.#outcome(await this.#proveThePassword(values.email, values.password));
    const responses = step === "new-password"
      ? { NEW_PASSWORD: values.newPassword }
      : { SOFTWARE_TOKEN_MFA_CODE: values.code };
    return this.#outcome(await this.api.call("RespondToAuthChallenge", {
      ChallengeName: step === "new-password" ? "NEW_PASSWORD_REQUIRED" : "SOFTWARE_TOKEN_MFA",
      Session: this.session,
      ChallengeResponses: { USERNAME: this.username, ...responses },
    }));
  }

  async #proveThePassword(email, password) {
    const pair = ephemeralPair();
    const started = await this.api.call("InitiateAuth", {
      AuthFlow: "USER_SRP_AUTH",
      AuthParameters: { USERNAME: email, SRP_A: pair.srpA },
    });
    const challenge = started.ChallengeParameters;
    const userId = challenge.USER_ID_FOR_SRP;
    const proof = await passwordVerifier({ userPoolId: this.userPoolId, userId, password, pair, challenge });
    this.username = userId;
    return this.api.call("RespondToAuthChallenge", {
      ChallengeName: "PASSWORD_VERIFIER",
      Session: started.Session,
      ChallengeResponses: {
        USERNAME: userId,
        PASSWORD_CLAIM_SECRET_BLOCK: challenge.SECRET_BLOCK,
        PASSWORD_CLAIM_SIGNATURE: proof.signature,
        TIMESTAMP: proof.timestamp,
      },
    });
  }

  #outcome(response) {
    if (response.AuthenticationResult) {
      return { tokens: { idToken: response.AuthenticationResult.IdToken, refreshToken: response.AuthenticationResult.RefreshToken } };
    }
    this.session = response.Session;
    this.username = response.ChallengeParameters?.USER_ID_FOR_SRP ?? this.username;
    const next = { NEW_PASSWORD_REQUIRED: "new-password", SOFTWARE_TOKEN_MFA: "mfa" }[response.ChallengeName];
    if (!next) throw new SignInError(`This account needs a sign-in step the page does not offer (${response.ChallengeName}).`);
    return { next };
  }
}
