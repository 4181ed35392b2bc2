"""Who is calling: always derived from the authorizer's verified claims, never from the body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.core.errors import DomainError


class Unauthenticated(DomainError):
    """No verified identity on the request (HTTP 401)."""


def owner_from_request_context(request_context: Mapping[str, Any]) -> str:
    """The Cognito `sub` of the caller.

    REST APIs with a Cognito user-pool authorizer put the claims under
    `authorizer.claims`; a Lambda REQUEST authorizer (WebSocket `$connect`) puts
    its context directly under `authorizer`.
    """
    authorizer = request_context.get("authorizer") or {}
    claims = authorizer.get("claims") or authorizer
    owner = claims.get("sub")
    if not isinstance(owner, str) or not owner:
        raise Unauthenticated("request carries no verified user identity")
    return owner
