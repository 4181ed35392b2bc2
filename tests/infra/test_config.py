"""Deployment settings from CDK context: typed, validated, with the budget off unless set."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import DeploymentConfig


def _from(context: dict[str, Any]) -> DeploymentConfig:
    return DeploymentConfig.from_context(context.get)


def test_budget_is_off_when_not_configured() -> None:
    assert _from({}).monthly_budget_usd is None


def test_budget_amount_is_read_from_command_line_text() -> None:
    assert _from({"monthlyBudgetUsd": "120.5"}).monthly_budget_usd == 120.5


def test_a_budget_of_zero_or_less_is_refused() -> None:
    with pytest.raises(ValueError, match="monthlyBudgetUsd"):
        _from({"monthlyBudgetUsd": 0})


def test_summary_model_must_speak_the_nova_request_format() -> None:
    with pytest.raises(ValueError, match="summaryModelId"):
        _from({"summaryModelId": "anthropic.claude-3-haiku-20240307-v1:0"})


def test_deployment_name_joins_app_and_stage() -> None:
    assert _from({"appName": "docs-chat", "stage": "prod"}).deployment_name == "docs-chat-prod"
