"""Who is calling: always derived from the authorizer's verified claims, never from the body."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdas.core.errors import DomainError

MAX_OWNER_CHARS = 128
# Owners become key and path segments (`USER#<owner>`, `uploads/<owner>/...`): a Cognito
# `sub` is a UUID; anything with a slash, a control character or of unbounded length is refused.
OWNER_PATTERN = rf"^[A-Za-z0-9@._:+-]{{1,{MAX_OWNER_CHARS}}}$"
_OWNER = re.compile(OWNER_PATTERN)


class Unauthenticated(DomainError):
    """No verified identity on the request (HTTP 401)."""


class InvalidCaller(DomainError):
    """An identity that cannot name a user's data (HTTP 400): in the cloud a Cognito `sub`
    always fits, so this guards local mode's `X-Local-User` header."""


def checked_owner(owner: object) -> str:
    """`owner` if it can safely name a user's records and objects."""
    if not isinstance(owner, str) or not owner:
        raise Unauthenticated("request carries no verified user identity")
    if not _OWNER.fullmatch(owner):
        raise InvalidCaller(
            f"the user id must be 1 to {MAX_OWNER_CHARS} letters, digits or @._:+- characters",
            field="X-Local-User",
        )
    return owner


def owner_from_request_context(request_context: Mapping[str, Any]) -> str:
    """The Cognito `sub` of the caller.

    REST APIs with a Cognito user-pool authorizer put the claims under
    `authorizer.claims`; a Lambda REQUEST authorizer (WebSocket `$connect`) puts
    its context directly under `authorizer`.
    """
    authorizer = request_context.get("authorizer") or {}
    claims = authorizer.get("claims") or authorizer
    return checked_owner(claims.get("sub"))
