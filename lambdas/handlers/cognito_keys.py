"""The user pool's issuer and signing keys, for the handlers that verify Cognito tokens themselves."""

from __future__ import annotations

import jwt

from lambdas.settings import Settings

JWKS_CACHE_SECONDS = 3600
JWKS_TIMEOUT_SECONDS = 5


def pool_issuer(settings: Settings, user_pool_id: str) -> str:
    return f"https://cognito-idp.{settings.aws_region}.amazonaws.com/{user_pool_id}"


def pool_keys(issuer: str) -> jwt.PyJWKClient:
    """A JWKS client that keeps the pool's keys for an hour: build one per container."""
    return jwt.PyJWKClient(
        f"{issuer}/.well-known/jwks.json",
        cache_keys=True,
        lifespan=JWKS_CACHE_SECONDS,
        timeout=JWKS_TIMEOUT_SECONDS,
    )
