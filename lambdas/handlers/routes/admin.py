"""/v1/admin: usage and cost per user and model, and per-user limits, for administrators only.

An administrator is a member of the Cognito `admins` group (the `cognito:groups` claim), or,
where the identity carries no groups (local mode), a user named in ADMIN_USERS. Anyone else
gets the same 404 as an unknown route, so the routes do not reveal that they exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from lambdas.core.errors import NotFound
from lambdas.handlers.admin_schemas import (
    AuditEntryOut,
    AuditLog,
    LimitOverrideIn,
    UsageByUserReport,
    UserLimitsOut,
)
from lambdas.handlers.identity import OWNER_PATTERN, owner_from_request_context
from lambdas.handlers.usage_schemas import FirstDay, LastDay, iso_day
from lambdas.wiring import get_services

router = Router()
ADMINS_GROUP = "admins"
_GROUP_SEPARATORS = re.compile(r"[\s,\[\]]+")


def is_admin(request_context: Mapping[str, Any], admin_users: str) -> bool:
    """Whether the caller is an administrator. API Gateway passes the groups claim as one string
    (`admins`, `admins,editors` or `[admins editors]`, depending on the authorizer)."""
    owner = owner_from_request_context(request_context)
    authorizer = request_context.get("authorizer") or {}
    claims = authorizer.get("claims") or authorizer
    groups = claims.get("cognito:groups")
    if isinstance(groups, str):
        return ADMINS_GROUP in _GROUP_SEPARATORS.split(groups)
    if isinstance(groups, list):
        return ADMINS_GROUP in groups
    return owner in {user.strip() for user in admin_users.split(",") if user.strip()}


def _admin() -> str:
    """The administrator's user id; a 404 for anyone else."""
    event = router.current_event
    request_context = event.raw_event.get("requestContext") or {}
    if not is_admin(request_context, get_services().settings.admin_users):
        raise NotFound(f"no route for {event.http_method} {event.path}")
    return owner_from_request_context(request_context)


@router.get(
    "/v1/admin/usage", summary="Tokens and cost per user and per model over a date range", tags=["admin"]
)
def usage_by_user(
    first_day: FirstDay = None,
    last_day: LastDay = None,
) -> UsageByUserReport:
    _admin()
    return UsageByUserReport.of(get_services().admin.usage_by_user(iso_day(first_day), iso_day(last_day)))


@router.get("/v1/admin/users/<user>/limits", summary="A user's limits and today's budget use", tags=["admin"])
def get_user_limits(user: Annotated[str, Path(pattern=OWNER_PATTERN)]) -> UserLimitsOut:
    _admin()
    return UserLimitsOut.of(get_services().admin.limits(user))


@router.put(
    "/v1/admin/users/<user>/limits",
    summary="Set a user's daily token budget and rate limits (audited)",
    tags=["admin"],
)
def set_user_limits(
    user: Annotated[str, Path(pattern=OWNER_PATTERN)], body: LimitOverrideIn
) -> UserLimitsOut:
    actor = _admin()
    services = get_services()
    services.admin.set_limits(actor, user, body.domain())
    return UserLimitsOut.of(services.admin.limits(user))


@router.get(
    "/v1/admin/audit", summary="The latest changes to user limits: who, when, old and new", tags=["admin"]
)
def audit_log() -> AuditLog:
    _admin()
    return AuditLog(entries=[AuditEntryOut.of(entry) for entry in get_services().admin.audit()])
