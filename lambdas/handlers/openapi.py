"""The OpenAPI document of the REST API, as strict as the validation behind it.

Powertools generates the operations from the routes and their Pydantic models; this module
adds what only the running service knows, in one place:
- every refusal an operation can give (the common ones from its shape, the rest named on the
  route with `declared_errors`), each with the API's error body instead of Powertools' own;
- the limits that come from settings (offered model ids, the upload size limit).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from lambdas.handlers.schemas import ErrorBody

ERROR_SCHEMA = "ErrorBody"
_EXTENSION = "x-error-statuses"
_DESCRIPTIONS = {
    400: "Malformed request: a body that is not UTF-8 JSON, nested too deeply, or an invalid caller",
    401: "No verified caller identity",
    404: "The resource does not exist or belongs to another user",
    409: "Clashes with the same request still being processed",
    413: "Request body larger than 64 KiB",
    415: "Request body not sent as application/json",
    422: "A field fails validation; `error.field` names it",
    429: "Rate limit or daily token budget exceeded; see Retry-After",
    503: "Every configured model is unavailable",
}


def declared_errors(*statuses: int) -> dict[str, Any]:
    """Route `openapi_extensions` naming refusals the operation's shape does not imply."""
    return {_EXTENSION: sorted(statuses)}


def api_document(
    app: APIGatewayRestResolver, *, version: str, model_ids: list[str], max_upload_bytes: int
) -> str:
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(title="Serverless GenAI Chat API", version=version)
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")["$defs"])
    schemas[ERROR_SCHEMA] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas[ERROR_SCHEMA].pop("$defs", None)
    for operation in _operations(document):
        responses = operation["responses"]
        if "204" in responses:
            responses["204"].pop("content", None)
        for status in _error_statuses(operation):
            responses[str(status)] = {
                "description": _DESCRIPTIONS[status],
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}},
            }
    _restrict(schemas, "ChatRequest", "model", {"enum": model_ids})
    _restrict(schemas, "UploadRequest", "size_bytes", {"maximum": max_upload_bytes})
    return json.dumps(document)


def allowed_methods(document: dict[str, Any]) -> dict[str, list[str]]:
    """Path template -> the methods it declares, upper case."""
    return {path: sorted(method.upper() for method in item) for path, item in document["paths"].items()}


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for item in document["paths"].values() for operation in item.values()]


def _error_statuses(operation: dict[str, Any]) -> set[int]:
    statuses = {400, 401, 422, *operation.pop(_EXTENSION, [])}
    if "requestBody" in operation:
        statuses |= {413, 415}
    if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
        statuses.add(404)
    return statuses


def _restrict(schemas: dict[str, Any], model: str, field: str, constraint: dict[str, Any]) -> None:
    """Add `constraint` to the field's string/number variant (not to its null alternative)."""
    prop = schemas[model]["properties"][field]
    variants = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
    for variant in variants:
        variant.update(constraint)
