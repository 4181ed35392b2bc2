"""The pre sign-up trigger on the events Cognito sends for each way a user is created."""

from collections.abc import Iterator
from typing import Any

import pytest

from lambdas.core.sign_up import SignUpRefused
from lambdas.handlers import pre_sign_up
from tests.support.events import FakeLambdaContext


@pytest.fixture(autouse=True)
def allowed_domains(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "example.com,partner.org")
    pre_sign_up._policy.cache_clear()
    yield
    pre_sign_up._policy.cache_clear()


def trigger_event(trigger_source: str, user_attributes: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A pre sign-up event as Cognito delivers it (user-pool-lambda-pre-sign-up.html)."""
    return {
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_EXAMPLE",
        "userName": "4f1e8c2a-0b7d-4c39-9d8e-2f6a1b3c5d7e",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "1example23456789"},
        "triggerSource": trigger_source,
        "request": {"userAttributes": user_attributes, "validationData": None},
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        **fields,
    }


def self_sign_up(email: str) -> dict[str, Any]:
    return trigger_event("PreSignUp_SignUp", {"email": email, "name": "Ada Lovelace"})


def admin_created(email: str) -> dict[str, Any]:
    return trigger_event(
        "PreSignUp_AdminCreateUser",
        {"email": email},
        callerContext={"awsSdkVersion": "aws-cli/2", "clientId": "CLIENT_ID_NOT_APPLICABLE"},
    )


def federated(user_attributes: dict[str, str]) -> dict[str, Any]:
    return trigger_event(
        "PreSignUp_ExternalProvider", user_attributes, userName="Corporate_00u1a2b3c4d5e6f7g8h9"
    )


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return pre_sign_up.handler(event, FakeLambdaContext())


def test_self_sign_up_at_an_allowed_domain_returns_the_event_unchanged() -> None:
    event = self_sign_up("ada@example.com")
    assert invoke(event) == self_sign_up("ada@example.com")


def test_self_sign_up_at_another_domain_is_refused_with_a_message_for_the_user() -> None:
    with pytest.raises(
        SignUpRefused, match=r"^Sign-up is limited to addresses at example\.com, partner\.org$"
    ):
        invoke(self_sign_up("eve@elsewhere.net"))


def test_an_administrator_cannot_create_a_user_at_another_domain() -> None:
    with pytest.raises(SignUpRefused):
        invoke(admin_created("eve@elsewhere.net"))


def test_an_administrator_creates_a_user_at_an_allowed_domain() -> None:
    assert invoke(admin_created("ada@partner.org"))["triggerSource"] == "PreSignUp_AdminCreateUser"


def test_a_federated_user_is_admitted_by_the_mapped_email() -> None:
    event = federated({"email": "Ada@Example.com", "email_verified": "true"})
    assert invoke(event)["userName"] == "Corporate_00u1a2b3c4d5e6f7g8h9"


def test_a_federated_user_whose_provider_maps_no_email_is_refused() -> None:
    with pytest.raises(SignUpRefused):
        invoke(federated({"name": "Ada Lovelace"}))


def test_the_domains_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_EMAIL_DOMAINS", "elsewhere.net")
    pre_sign_up._policy.cache_clear()
    assert invoke(self_sign_up("eve@elsewhere.net"))["triggerSource"] == "PreSignUp_SignUp"


def test_a_refusal_logs_the_domain_but_never_the_address(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(SignUpRefused):
        invoke(self_sign_up("eve.private@elsewhere.net"))
    (refusal,) = [record for record in caplog.records if record.getMessage() == "sign-up refused"]
    assert vars(refusal)["email_domain"] == "elsewhere.net"
    assert "eve.private" not in repr([vars(record) for record in caplog.records])
