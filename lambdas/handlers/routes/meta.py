"""Service metadata: models on offer and health."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from lambdas.handlers.schemas import Health, ModelList, ModelOut
from lambdas.wiring import get_services

router = Router()
API_VERSION = "1.0.0"


@router.get("/v1/models", summary="Models on offer with context window and price", tags=["meta"])
def list_models() -> ModelList:
    services = get_services()
    return ModelList(
        default_model=services.catalog.default_model_id,
        price_table_version=services.prices.version,
        models=[ModelOut.of(m) for m in services.catalog.models()],
    )


@router.get("/v1/health", summary="Liveness and the configured provider", tags=["meta"])
def health() -> Health:
    return Health(provider=get_services().settings.provider, version=API_VERSION)
