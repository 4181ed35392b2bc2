"""Every store of data is encrypted with one of the application's customer-managed keys."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synthesized, resources_of


def _key_ids(synthesized: Synthesized) -> set[str]:
    return set(resources_of(synthesized.data_json, "AWS::KMS::Key"))


def _names_a_key(value: Any, keys: set[str]) -> bool:
    """True when `value` references (possibly through a cross-stack export) one of `keys`."""
    text = json.dumps(value)
    return any(key in text for key in keys)


def test_every_log_group_is_encrypted_with_the_logs_key(dev: Synthesized) -> None:
    groups = resources_of(dev.app_json, "AWS::Logs::LogGroup")
    assert len(groups) >= 8
    logs_keys = {key for key in _key_ids(dev) if key.startswith("EncryptionLogsKey")}
    unencrypted = [
        name
        for name, group in groups.items()
        if not _names_a_key(group["Properties"].get("KmsKeyId"), logs_keys)
    ]
    assert unencrypted == []


def test_dead_letter_queues_are_encrypted_with_the_messaging_key(dev: Synthesized) -> None:
    messaging = {key for key in _key_ids(dev) if key.startswith("EncryptionMessagingKey")}
    queues = resources_of(dev.app_json, "AWS::SQS::Queue")
    assert queues
    for queue in queues.values():
        assert _names_a_key(queue["Properties"]["KmsMasterKeyId"], messaging)


def test_alarm_topic_is_encrypted_with_the_messaging_key(dev: Synthesized) -> None:
    messaging = {key for key in _key_ids(dev) if key.startswith("EncryptionMessagingKey")}
    (topic,) = resources_of(dev.app_json, "AWS::SNS::Topic").values()
    assert _names_a_key(topic["Properties"]["KmsMasterKeyId"], messaging)


def test_state_machines_encrypt_their_data_with_the_workflow_key(dev: Synthesized) -> None:
    workflow = {key for key in _key_ids(dev) if key.startswith("EncryptionWorkflowKey")}
    machines = resources_of(dev.app_json, "AWS::StepFunctions::StateMachine")
    assert len(machines) == 3  # ingestion, summaries, the vector index's completion waiter
    for machine in machines.values():
        encryption = machine["Properties"]["EncryptionConfiguration"]
        assert encryption["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
        assert _names_a_key(encryption["KmsKeyId"], workflow)


def test_opensearch_collection_uses_the_vectors_key(dev: Synthesized) -> None:
    vectors = {key for key in _key_ids(dev) if key.startswith("EncryptionVectorsKey")}
    (policy,) = [
        p["Properties"]
        for p in resources_of(dev.data_json, "AWS::OpenSearchServerless::SecurityPolicy").values()
        if p["Properties"]["Type"] == "encryption"
    ]
    text = json.dumps(policy["Policy"])
    assert '\\"AWSOwnedKey\\":false' in text
    assert _names_a_key(policy["Policy"], vectors)


def test_s3_vectors_bucket_uses_the_vectors_key(prod: Synthesized) -> None:
    vectors = {key for key in _key_ids(prod) if key.startswith("EncryptionVectorsKey")}
    (bucket,) = resources_of(prod.data_json, "AWS::S3Vectors::VectorBucket").values()
    encryption = bucket["Properties"]["EncryptionConfiguration"]
    assert encryption["SseType"] == "aws:kms"
    assert _names_a_key(encryption["KmsKeyArn"], vectors)


def test_logs_key_admits_cloudwatch_logs_only_for_this_accounts_log_groups(dev: Synthesized) -> None:
    (logs_key,) = [
        k
        for name, k in resources_of(dev.data_json, "AWS::KMS::Key").items()
        if name.startswith("EncryptionLogsKey")
    ]
    statements = logs_key["Properties"]["KeyPolicy"]["Statement"]
    (service,) = [s for s in statements if s.get("Sid") == "AllowCloudWatchLogsOfThisAccount"]
    condition = json.dumps(service["Condition"])
    assert "kms:EncryptionContext:aws:logs:arn" in condition
    assert "123456789012" in condition
