"""REST API Lambda: routes /v1/*; every refusal is rendered from an `ApiError` (handlers/errors.py)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.core.errors import DomainError
from lambdas.handlers.body_limits import event_body_text
from lambdas.handlers.errors import ApiError, api_error_of
from lambdas.handlers.observability import logger
from lambdas.handlers.openapi import allowed_methods, api_document
from lambdas.handlers.routes import admin, chat, conversations, documents, limits, meta, usage
from lambdas.handlers.schemas import ErrorBody, ErrorDetail
from lambdas.wiring import get_services

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(admin.router)
app.include_router(chat.router)
app.include_router(conversations.router)
app.include_router(documents.router)
app.include_router(limits.router)
app.include_router(meta.router)
app.include_router(usage.router)

JSON_METHODS = {"POST", "PUT", "PATCH"}
_LOCATIONS = {"body", "query", "path", "header", "request"}
"""Where Powertools says a field was; the error names only the field."""
OPENAPI_PATH = "/v1/openapi.json"


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=_document())


@lru_cache(maxsize=1)
def _document() -> str:
    services = get_services()
    return api_document(
        app,
        version=meta.API_VERSION,
        model_ids=[model.id for model in services.catalog.models()],
        max_upload_bytes=services.settings.max_upload_bytes,
    )


def render(error: ApiError) -> dict[str, Any]:
    """An error response in the REST proxy integration's format."""
    body = ErrorBody(error=ErrorDetail(code=error.code, message=error.message, field=error.field))
    headers = {"Content-Type": content_types.APPLICATION_JSON}
    if error.retry_after_seconds is not None:
        headers["Retry-After"] = str(error.retry_after_seconds)
    if error.allow:
        headers["Allow"] = ", ".join(error.allow)
    return {
        "statusCode": error.status,
        "headers": headers,
        "body": body.model_dump_json(),
        "isBase64Encoded": False,
    }


def _response(error: ApiError) -> Response[str]:
    rendered = render(error)
    return Response(status_code=error.status, headers=rendered["headers"], body=rendered["body"])


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[str]:
    first = error.errors()[0] if error.errors() else {}
    location = [str(part) for part in first.get("loc", ())]
    if location and location[0] in _LOCATIONS:
        location = location[1:]
    if first.get("type") == "json_invalid":
        return _response(ApiError(400, "malformed_json", "the request body is not valid JSON", "body"))
    field = ".".join(location) or "body"
    return _response(ApiError(422, "validation_error", str(first.get("msg", "invalid request")), field))


@app.exception_handler(DomainError)
def _domain_error(error: DomainError) -> Response[str]:
    return _response(api_error_of(error))


@app.not_found
def _no_route(_: Exception) -> Response[str]:
    event = app.current_event
    return _response(
        _method_refusal(event.http_method, event.path) or _unknown_path(event.http_method, event.path)
    )


def _unknown_path(method: str, path: str) -> ApiError:
    return ApiError(404, "not_found", f"no route for {method} {path}")


def _method_refusal(method: str, path: str) -> ApiError | None:
    """A 405 naming the allowed methods when `path` exists but not with `method`."""
    for pattern, methods in _routes():
        if pattern.fullmatch(path):
            if method in methods:
                return None
            allowed = ", ".join(methods)
            return ApiError(
                405, "method_not_allowed", f"{method} is not allowed here; use {allowed}", allow=methods
            )
    return None


@lru_cache(maxsize=1)
def _routes() -> list[tuple[re.Pattern[str], list[str]]]:
    """Each declared path as a pattern, with its methods (built only when a refusal needs it)."""
    declared = allowed_methods(json.loads(_document())) | {OPENAPI_PATH: ["GET"]}
    return [
        (re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))), methods)
        for path, methods in declared.items()
    ]


def _refusal_before_routing(event: dict[str, Any]) -> ApiError | None:
    """A body the API cannot read, refused before Powertools parses it: not declared as JSON
    (415), too large (413), not UTF-8 or nested too deeply (400); a wrong method goes first (405)."""
    method = event.get("httpMethod") or ""
    refusal = _body_refusal(method, event)
    return refusal and (_method_refusal(method, event.get("path") or "") or refusal)


def _body_refusal(method: str, event: dict[str, Any]) -> ApiError | None:
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    if method in JSON_METHODS and not (headers.get("content-type") or "").lower().startswith(
        "application/json"
    ):
        return ApiError(415, "unsupported_media_type", "send the body as application/json", "content-type")
    try:
        event_body_text(event)
    except ApiError as error:
        return error
    return None


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refusal = _refusal_before_routing(event)
    return render(refusal) if refusal else app.resolve(event, context)
