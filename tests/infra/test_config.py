"""Deployment settings from CDK context: typed, validated, with the budget off unless set."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.config import APP_NAME_MAX_LENGTH, DeploymentConfig
from tests.infra.conftest import ACCOUNT, Synthesized, resources_of


def _from(context: dict[str, Any]) -> DeploymentConfig:
    return DeploymentConfig.from_context(context.get)


def test_budget_is_off_when_not_configured() -> None:
    assert _from({}).monthly_budget_usd is None


def test_budget_amount_is_read_from_command_line_text() -> None:
    assert _from({"monthlyBudgetUsd": "120.5"}).monthly_budget_usd == 120.5


def test_a_budget_of_zero_or_less_is_refused() -> None:
    with pytest.raises(ValueError, match="monthlyBudgetUsd"):
        _from({"monthlyBudgetUsd": 0})


def test_search_operators_are_none_unless_named() -> None:
    assert _from({}).search_operator_arns == ()


def test_search_operator_arns_are_read_from_command_line_text() -> None:
    arns = '["arn:aws:iam::123456789012:role/evaluator", "arn:aws:iam::123456789012:user/ops/alice"]'

    assert _from({"searchOperatorArns": arns}).search_operator_arns == (
        "arn:aws:iam::123456789012:role/evaluator",
        "arn:aws:iam::123456789012:user/ops/alice",
    )


@pytest.mark.parametrize(
    "arn", ["*", "arn:aws:iam::123456789012:*", "arn:aws:iam::123456789012:group/ops", "evaluator"]
)
def test_a_search_operator_that_is_not_a_role_or_user_arn_is_refused_naming_the_key(arn: str) -> None:
    with pytest.raises(ValueError, match="searchOperatorArns"):
        _from({"searchOperatorArns": [arn]})


def test_summary_model_must_speak_the_nova_request_format() -> None:
    with pytest.raises(ValueError, match="summaryModelId"):
        _from({"summaryModelId": "anthropic.claude-3-haiku-20240307-v1:0"})


def test_deployment_name_joins_app_and_stage() -> None:
    assert _from({"appName": "docs-chat", "stage": "prod"}).deployment_name == "docs-chat-prod"


@pytest.mark.parametrize(
    "app_name",
    ["Docs-Chat", "docs_chat", "9chat", "chat-", "enterprise-knowledge-assistant"],
)
def test_app_names_that_would_fail_at_deploy_time_are_refused_naming_app_name(app_name: str) -> None:
    with pytest.raises(ValueError, match="appName"):
        _from({"appName": app_name})


def test_the_longest_app_name_fits_every_derived_name() -> None:
    config = _from({"appName": "a" * APP_NAME_MAX_LENGTH, "stage": "prod"})
    assert len(f"{config.deployment_name}-data") == 32


def test_an_app_name_one_character_too_long_is_refused_with_the_limit() -> None:
    with pytest.raises(ValueError, match=f"appName .* at most {APP_NAME_MAX_LENGTH}"):
        _from({"appName": "a" * (APP_NAME_MAX_LENGTH + 1)})


def test_cognito_domain_prefix_carries_the_account_so_other_accounts_cannot_hold_it() -> None:
    config = _from({"appName": "docs-chat", "stage": "dev"})
    assert config.cognito_domain_prefix("123456789012") == "docs-chat-dev-123456789012"


def test_cognito_domain_prefix_can_be_chosen() -> None:
    config = _from({"cognitoDomainPrefix": "acme-chat-login"})
    assert config.cognito_domain_prefix("123456789012") == "acme-chat-login"


@pytest.mark.parametrize("prefix", ["Acme", "acme-aws-login", "-acme", "a" * 64])
def test_a_chosen_domain_prefix_cognito_would_refuse_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="cognitoDomainPrefix"):
        _from({"cognitoDomainPrefix": prefix})


def test_hosted_ui_domain_of_a_federated_deployment_uses_the_derived_prefix(prod: Synthesized) -> None:
    (domain,) = resources_of(prod.data_json, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["Domain"] == prod.config.cognito_domain_prefix(ACCOUNT)
    assert domain["Properties"]["Domain"].endswith(f"-{ACCOUNT}")
