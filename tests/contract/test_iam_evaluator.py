"""The policy evaluator the permissions contract relies on, against IAM's documented semantics."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.iam import Request, identity_decision, key_policy_decision

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-Ingest"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MACHINE = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:genai-chat-dev-ingestion"
BUCKET = "arn:aws:s3:::docs"


def allow(
    action: Any, resource: Any, condition: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


def test_actions_match_case_insensitively_with_wildcards() -> None:
    policy = [allow(["kms:GenerateDataKey*", "s3:getObject"], "*")]
    assert identity_decision(policy, Request("kms:GenerateDataKey", KEY))
    assert identity_decision(policy, Request("s3:GetObject", f"{BUCKET}/a"))
    assert not identity_decision(policy, Request("s3:PutObject", f"{BUCKET}/a"))


def test_resources_match_wildcards_across_slashes() -> None:
    policy = [allow("s3:PutObject", f"{BUCKET}/ingestion-batches/*")]
    assert identity_decision(policy, Request("s3:PutObject", f"{BUCKET}/ingestion-batches/u/d/batch-0.json"))
    assert not identity_decision(policy, Request("s3:PutObject", f"{BUCKET}/uploads/u/d/file.md"))
    assert not identity_decision(policy, Request("s3:ListBucket", BUCKET))


def test_an_explicit_deny_wins() -> None:
    policy = [allow("s3:*", "*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]
    assert not identity_decision(policy, Request("s3:DeleteObject", f"{BUCKET}/a"))


def test_not_action_and_not_resource_invert_the_match() -> None:
    policy = [{"Effect": "Allow", "NotAction": "iam:*", "NotResource": f"{BUCKET}/secret/*"}]
    assert identity_decision(policy, Request("s3:GetObject", f"{BUCKET}/public/a"))
    assert not identity_decision(policy, Request("s3:GetObject", f"{BUCKET}/secret/a"))
    assert not identity_decision(policy, Request("iam:PassRole", ROLE))


def test_a_condition_on_an_unnamed_state_machine_never_matches_the_real_one() -> None:
    key = "kms:EncryptionContext:aws:states:stateMachineArn"
    unnamed = [
        allow(
            "kms:Decrypt", KEY, {"StringEquals": {key: f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:"}}
        )
    ]
    named = [allow("kms:Decrypt", KEY, {"StringEquals": {key: MACHINE}})]
    request = Request("kms:Decrypt", KEY, {key: MACHINE})
    assert not identity_decision(unnamed, request)
    assert identity_decision(named, request)


def test_condition_keys_are_case_insensitive_and_values_are_not() -> None:
    policy = [allow("s3:ListBucket", BUCKET, {"StringLike": {"S3:Prefix": "ingestion-batches/*"}})]
    assert identity_decision(policy, Request("s3:ListBucket", BUCKET, {"s3:prefix": "ingestion-batches/u/"}))
    assert not identity_decision(
        policy, Request("s3:ListBucket", BUCKET, {"s3:prefix": "Ingestion-batches/u/"})
    )


@pytest.mark.parametrize(
    ("operator", "expected"),
    [("StringEquals", False), ("StringNotEquals", True), ("StringEqualsIfExists", True), ("ArnLike", False)],
)
def test_a_missing_condition_key_fails_all_but_negated_and_if_exists_operators(
    operator: str, expected: bool
) -> None:
    policy = [allow("s3:GetObject", "*", {operator: {"aws:SourceArn": "arn:aws:s3:::x"}})]
    assert identity_decision(policy, Request("s3:GetObject", f"{BUCKET}/a")) is expected


def test_arn_like_compares_each_arn_part() -> None:
    policy = [
        allow(
            "kms:GenerateDataKey",
            KEY,
            {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"
                }
            },
        )
    ]
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/vendedlogs/states/x"
    other_region = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:x"
    assert identity_decision(
        policy, Request("kms:GenerateDataKey", KEY, {"kms:EncryptionContext:aws:logs:arn": group})
    )
    assert not identity_decision(
        policy, Request("kms:GenerateDataKey", KEY, {"kms:EncryptionContext:aws:logs:arn": other_region})
    )


def test_multivalued_keys_follow_for_any_value_and_for_all_values() -> None:
    any_value = [allow("dynamodb:Query", "*", {"ForAnyValue:StringEquals": {"dynamodb:Attributes": ["pk"]}})]
    all_values = [
        allow("dynamodb:Query", "*", {"ForAllValues:StringEquals": {"dynamodb:Attributes": ["pk", "sk"]}})
    ]
    request = Request("dynamodb:Query", "t", {"dynamodb:Attributes": ["pk", "secret"]})
    assert identity_decision(any_value, request)
    assert not identity_decision(all_values, request)


def test_null_tests_whether_the_key_is_present() -> None:
    policy = [allow("s3:GetObject", "*", {"Null": {"aws:SourceVpce": "true"}})]
    assert identity_decision(policy, Request("s3:GetObject", "a"))
    assert not identity_decision(policy, Request("s3:GetObject", "a", {"aws:SourceVpce": "vpce-1"}))


ROOT_KEY_POLICY = [
    {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
]


def test_a_key_policy_naming_the_account_leaves_the_decision_to_iam() -> None:
    request = Request("kms:Decrypt", KEY)
    granted = [allow("kms:Decrypt", KEY)]
    assert key_policy_decision(ROOT_KEY_POLICY, granted, request, principal_arn=ROLE, account=ACCOUNT)
    assert not key_policy_decision(ROOT_KEY_POLICY, [], request, principal_arn=ROLE, account=ACCOUNT)


def test_a_key_policy_naming_the_role_is_enough_and_a_service_principal_is_not() -> None:
    request = Request("kms:Decrypt", KEY)
    for_role = [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"}]
    for_service = [
        {
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    assert key_policy_decision(for_role, [], request, principal_arn=ROLE, account=ACCOUNT)
    assert not key_policy_decision(
        for_service, [allow("kms:*", "*")], request, principal_arn=ROLE, account=ACCOUNT
    )


def test_a_deny_in_the_key_policy_wins_over_iam() -> None:
    policy = [
        *ROOT_KEY_POLICY,
        {"Effect": "Deny", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"},
    ]
    request = Request("kms:Decrypt", KEY)
    assert not key_policy_decision(
        policy, [allow("kms:*", "*")], request, principal_arn=ROLE, account=ACCOUNT
    )
