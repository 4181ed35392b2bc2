"""Operators set the functions' runtime settings from CDK context, checked at synth time."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stacks.config import STACK_OWNED_SETTINGS, DeploymentConfig, operator_settings
from tests.infra.conftest import Synthesized
from tests.infra.test_function_environment import PLATFORM_VARIABLES, application_functions, environment_of
from tools.build_lambda_asset import REPO_ROOT


def _from(context: dict[str, Any]) -> DeploymentConfig:
    return DeploymentConfig.from_context(context.get)


def test_settings_from_cdk_json_become_environment_text() -> None:
    config = _from({"functionSettings": {"DAILY_TOKEN_BUDGET": 500000, "CHUNKING_STRATEGY": "fixed"}})
    assert config.function_settings == {"DAILY_TOKEN_BUDGET": "500000", "CHUNKING_STRATEGY": "fixed"}


def test_settings_from_the_command_line_are_read_as_json() -> None:
    config = _from({"functionSettings": '{"RATE_LIMIT_TOKENS_PER_MINUTE": 1000}'})
    assert config.function_settings == {"RATE_LIMIT_TOKENS_PER_MINUTE": "1000"}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"RATE_LIMIT_PER_HOUR": 5}, "functionSettings.RATE_LIMIT_PER_HOUR is not a setting"),
        (
            {"RETRIEVAL_TOP_K": 50},
            "functionSettings.RETRIEVAL_TOP_K: Input should be less than or equal to 20",
        ),
        ({"CHUNKING_STRATEGY": "sentences"}, "functionSettings.CHUNKING_STRATEGY"),
        ({"CHUNK_OVERLAP_CHARS": 600}, "CHUNK_OVERLAP_CHARS must be under half of CHUNK_MAX_CHARS"),
        ({"DOCUMENTS_TABLE": "other"}, "functionSettings.DOCUMENTS_TABLE is set by the stack"),
        (
            {"BEDROCK_MODEL_ID": "amazon.nova-pro-v1:0"},
            "functionSettings.BEDROCK_MODEL_ID is set by the stack",
        ),
        ({"LLM_API_KEY": "secret"}, "functionSettings.LLM_API_KEY applies to local mode only"),
    ],
)
def test_synth_refuses_what_the_functions_would_refuse_or_the_stack_owns(
    settings: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        _from({"functionSettings": settings})


def test_a_value_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="functionSettings must be an object"):
        _from({"functionSettings": "DAILY_TOKEN_BUDGET=5"})


def test_checking_ignores_the_environment_of_the_machine_that_synthesizes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHUNK_MAX_CHARS", "100")
    assert _from({"functionSettings": {"CHUNK_OVERLAP_CHARS": 150}}).function_settings


def test_every_application_function_gets_the_operator_settings(prod: Synthesized) -> None:
    for name, properties in application_functions(prod).items():
        environment = environment_of(properties)
        assert environment["RATE_LIMIT_REQUESTS_PER_MINUTE"] == "30", name
        assert environment["CHUNKING_STRATEGY"] == "fixed", name


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_every_variable_the_stack_sets_is_one_operators_cannot_override(
    profile: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    set_by_stack = {
        variable
        for properties in application_functions(synthesized).values()
        for variable in environment_of(properties)
        if variable not in synthesized.config.function_settings
    }
    assert set_by_stack - PLATFORM_VARIABLES <= STACK_OWNED_SETTINGS


def test_readme_names_exactly_the_operator_settings_as_set_through_function_settings() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented: set[str] = set()
    for row in re.findall(r"^\| `[A-Z].*\|$", section, flags=re.MULTILINE):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if "`functionSettings`" in cells[-1]:
            documented |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]))
    assert documented == operator_settings()
