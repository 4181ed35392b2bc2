"""Lambda REQUEST authorizer of the WebSocket API's `$connect` route.

Browsers cannot set headers on a WebSocket handshake, so the Cognito ID token arrives as
the `token` query parameter. It is verified like the REST API's Cognito authorizer would:
RS256 signature against the user pool's JWKS, issuer, audience (the app client id),
`token_use` = id, and expiry. The caller's `sub` is passed to the stream handler as context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.handlers.cognito_keys import pool_issuer, pool_keys
from lambdas.settings import Settings

logger = Logger()
REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub", "token_use"]

SigningKeyFor = Callable[[str], Any]
"""Returns the public key that verifies the given token (chosen by its `kid` header)."""


class Unauthorized(Exception):
    """API Gateway answers 401 when an authorizer raises with exactly this message."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    issuer: str
    audience: str
    signing_key_for: SigningKeyFor

    def subject_of(self, token: str) -> str:
        """The verified `sub` of a Cognito ID token; raises Unauthorized otherwise."""
        try:
            claims = jwt.decode(
                token,
                self.signing_key_for(token),
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as error:
            logger.info("token refused", extra={"reason": type(error).__name__})
            raise Unauthorized from None
        if claims.get("token_use") != "id":
            logger.info("token refused", extra={"reason": "not an ID token"})
            raise Unauthorized
        return str(claims["sub"])


def authorize(event: Mapping[str, Any], verifier: TokenVerifier) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token")
    if not token:
        raise Unauthorized
    sub = verifier.subject_of(token)
    return {
        "principalId": sub,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
            ],
        },
        "context": {"sub": sub},
    }


@lru_cache(maxsize=1)
def _verifier() -> TokenVerifier:
    """One per container: the JWKS client caches the pool's keys between invocations."""
    settings = Settings()
    if not settings.cognito_user_pool_id or not settings.cognito_app_client_id:
        raise RuntimeError("COGNITO_USER_POOL_ID and COGNITO_APP_CLIENT_ID must be set")
    issuer = pool_issuer(settings, settings.cognito_user_pool_id)
    jwks = pool_keys(issuer)
    return TokenVerifier(
        issuer=issuer,
        audience=settings.cognito_app_client_id,
        signing_key_for=lambda token: jwks.get_signing_key_from_jwt(token).key,
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return authorize(event, _verifier())
