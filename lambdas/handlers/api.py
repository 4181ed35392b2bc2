"""REST API Lambda: routes /v1/*, maps domain errors to HTTP in one place."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.core.errors import Conflict, DomainError, InvalidRequest, ModelUnavailable, NotFound, RateLimited
from lambdas.handlers.body_limits import json_body_problem
from lambdas.handlers.identity import Unauthenticated
from lambdas.handlers.observability import logger
from lambdas.handlers.routes import admin, chat, conversations, documents, limits, meta, usage
from lambdas.handlers.schemas import ErrorBody, ErrorDetail

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(admin.router)
app.include_router(chat.router)
app.include_router(conversations.router)
app.include_router(documents.router)
app.include_router(limits.router)
app.include_router(meta.router)
app.include_router(usage.router)

JSON_METHODS = {"POST", "PUT", "PATCH"}


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response[str]:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json()
    )


@app.get("/v1/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(title="Serverless GenAI Chat API", version=meta.API_VERSION),
    )


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[str]:
    first = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "request")]
    if first.get("type") == "json_invalid":
        return error_response(400, "malformed_json", "the request body is not valid JSON", "body")
    field = ".".join(location) or "body"
    return error_response(422, "validation_error", str(first.get("msg", "invalid request")), field)


# Domain errors that become a plain error body: (class, HTTP status, error code).
_PLAIN_ERRORS: tuple[tuple[type[DomainError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (InvalidRequest, 422, "invalid_request"),
    (Unauthenticated, 401, "unauthenticated"),
    (Conflict, 409, "conflict"),
)


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response[str]:
    for error_class, status, code in _PLAIN_ERRORS:
        if isinstance(error, error_class):
            return error_response(status, code, error.message, error.field)
    if isinstance(error, RateLimited):
        response = error_response(429, "rate_limited", error.message)
        response.headers["Retry-After"] = str(error.retry_after_seconds)
        return response
    if isinstance(error, ModelUnavailable):
        logger.warning("model unavailable", extra={"reason": error.message})
        return error_response(503, "model_unavailable", error.message)
    logger.exception("unmapped domain error")
    return error_response(500, "internal_error", "internal error")


@app.not_found
def _no_route(_: Exception) -> Response[str]:
    return error_response(
        404, "not_found", f"no route for {app.current_event.http_method} {app.current_event.path}"
    )


def _non_json_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 415 for a body that is not declared as JSON. Checked before routing because
    Powertools' validation would otherwise accept form-encoded bodies too."""
    if event.get("httpMethod") not in JSON_METHODS:
        return None
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    if (headers.get("content-type") or "").lower().startswith("application/json"):
        return None
    return _refusal(415, "unsupported_media_type", "send the body as application/json", "content-type")


def _unbounded_body_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """A 413 or 400 for a body too large or too deeply nested to parse safely."""
    body: str | bytes = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body)
    problem = json_body_problem(body)
    return _refusal(problem.status, problem.code, problem.message, "body") if problem else None


def _refusal(status: int, code: str, message: str, field: str) -> dict[str, Any]:
    """An error response made before routing, in the proxy integration's format."""
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": body.model_dump_json(),
        "isBase64Encoded": False,
    }


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _non_json_refusal(event) or _unbounded_body_refusal(event) or app.resolve(event, context)
