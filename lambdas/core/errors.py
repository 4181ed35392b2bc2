"""Domain errors. Handlers map each of them to one HTTP status in a single place."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: carries a message safe to show to the caller."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidRequest(DomainError):
    """The request is well-formed JSON but asks for something we refuse (HTTP 400/422)."""


class NotFound(DomainError):
    """The resource does not exist, or belongs to another user (HTTP 404, never 403)."""


class Conflict(DomainError):
    """The request clashes with one still being processed (HTTP 409)."""


class RateLimited(DomainError):
    """The caller exceeded a limit (HTTP 429)."""

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ModelUnavailable(DomainError):
    """Every configured model failed or is throttled after retries (HTTP 503)."""


class ModelThrottled(ModelUnavailable):
    """The provider throttled the call; retrying later may succeed."""
