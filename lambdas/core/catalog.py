"""The models a deployment offers, with their windows and prices."""

from __future__ import annotations

from collections.abc import Sequence

from lambdas.core.errors import InvalidRequest
from lambdas.core.models import ModelInfo


class ModelCatalog:
    def __init__(self, models: Sequence[ModelInfo], default_model_id: str) -> None:
        self._models = {model.id: model for model in models}
        if default_model_id not in self._models:
            raise ValueError(f"default model {default_model_id!r} is not among the offered models")
        self.default_model_id = default_model_id

    def models(self) -> list[ModelInfo]:
        return list(self._models.values())

    def resolve(self, model_id: str | None) -> ModelInfo:
        if model_id is None:
            return self._models[self.default_model_id]
        try:
            return self._models[model_id]
        except KeyError:
            offered = ", ".join(sorted(self._models))
            raise InvalidRequest(f"unknown model {model_id!r}; offered: {offered}", field="model") from None
