"""The environment each synthesized function gets is the one its code reads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdas.handlers import ws_authorizer
from lambdas.settings import Settings
from tests.infra.conftest import Synthesized, resources_of

# Read by Powertools itself, not by the application's settings.
PLATFORM_VARIABLES = frozenset(
    {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}
)


def application_functions(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    """Logical id -> properties of every function running an application handler."""
    return {
        name: function["Properties"]
        for name, function in resources_of(synthesized.app_json, "AWS::Lambda::Function").items()
        if str(function["Properties"].get("Handler", "")).startswith("lambdas.handlers.")
    }


def environment_of(properties: dict[str, Any]) -> dict[str, Any]:
    return dict(properties.get("Environment", {}).get("Variables", {}))


def as_text(value: Any) -> str:
    """A template value as the function would see it: intrinsics become a recognisable string."""
    return value if isinstance(value, str) else f"resolved:{json.dumps(value, sort_keys=True)}"


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_every_variable_a_function_gets_is_a_declared_setting(
    profile: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    declared = {name.upper() for name in Settings.model_fields} | PLATFORM_VARIABLES
    undeclared = {
        (name, variable)
        for name, properties in application_functions(synthesized).items()
        for variable in environment_of(properties)
        if variable not in declared
    }
    assert undeclared == set()


def test_websocket_authorizer_builds_its_verifier_from_its_own_environment(
    dev: Synthesized, monkeypatch: pytest.MonkeyPatch
) -> None:
    (authorizer,) = [
        properties
        for properties in application_functions(dev).values()
        if properties["Handler"] == "lambdas.handlers.ws_authorizer.handler"
    ]
    environment = {name: as_text(value) for name, value in environment_of(authorizer).items()}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    ws_authorizer._verifier.cache_clear()
    try:
        verifier = ws_authorizer._verifier()
    finally:
        ws_authorizer._verifier.cache_clear()
    assert verifier.audience == environment["COGNITO_APP_CLIENT_ID"]
    assert verifier.issuer.endswith("/" + environment["COGNITO_USER_POOL_ID"])
