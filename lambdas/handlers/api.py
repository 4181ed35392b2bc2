"""REST API Lambda: routes /v1/*, maps domain errors to HTTP in one place."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.core.errors import DomainError, InvalidRequest, ModelUnavailable, NotFound, RateLimited
from lambdas.handlers.identity import Unauthenticated
from lambdas.handlers.observability import logger
from lambdas.handlers.routes import chat, conversations, documents, meta, usage
from lambdas.handlers.schemas import ErrorBody, ErrorDetail

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(chat.router)
app.include_router(conversations.router)
app.include_router(documents.router)
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


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response[str]:
    if isinstance(error, NotFound):
        return error_response(404, "not_found", error.message, error.field)
    if isinstance(error, InvalidRequest):
        return error_response(422, "invalid_request", error.message, error.field)
    if isinstance(error, Unauthenticated):
        return error_response(401, "unauthenticated", error.message)
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
    body = ErrorBody(
        error=ErrorDetail(
            code="unsupported_media_type", message="send the body as application/json", field="content-type"
        )
    )
    return {
        "statusCode": 415,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": body.model_dump_json(),
        "isBase64Encoded": False,
    }


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return _non_json_refusal(event) or app.resolve(event, context)
