"""Every refusal of the API in one shape, shared by the REST API and the WebSocket stream.

A domain error, a body that cannot be read, a caller that cannot be identified: each becomes
an `ApiError` (HTTP status, stable code, message safe to show, offending field) here and
nowhere else. The REST handler renders it as an HTTP response, the stream as an error frame.
"""

from __future__ import annotations

from lambdas.core.errors import Conflict, DomainError, InvalidRequest, ModelUnavailable, NotFound, RateLimited
from lambdas.handlers.identity import InvalidCaller, Unauthenticated
from lambdas.handlers.observability import logger


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        *,
        retry_after_seconds: int | None = None,
        allow: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.retry_after_seconds = retry_after_seconds
        self.allow = allow
        """For a 405: the methods the path accepts."""


# Domain errors that become a plain error body: (class, HTTP status, error code).
_PLAIN_ERRORS: tuple[tuple[type[DomainError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (InvalidRequest, 422, "invalid_request"),
    (InvalidCaller, 400, "invalid_caller"),
    (Unauthenticated, 401, "unauthenticated"),
    (Conflict, 409, "conflict"),
)


def api_error_of(error: DomainError) -> ApiError:
    for error_class, status, code in _PLAIN_ERRORS:
        if isinstance(error, error_class):
            return ApiError(status, code, error.message, error.field)
    if isinstance(error, RateLimited):
        return ApiError(429, "rate_limited", error.message, retry_after_seconds=error.retry_after_seconds)
    if isinstance(error, ModelUnavailable):
        logger.warning("model unavailable", extra={"reason": error.message})
        return ApiError(503, "model_unavailable", error.message)
    logger.exception("unmapped domain error")
    return ApiError(500, "internal_error", "internal error")
