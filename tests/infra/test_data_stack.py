"""Stateful resources: encrypted with customer-managed keys, recoverable, never public."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.infra.conftest import Synthesized


def _resources(template: dict[str, object], resource_type: str) -> dict[str, dict]:
    resources = template["Resources"]
    assert isinstance(resources, dict)
    return {name: res for name, res in resources.items() if res["Type"] == resource_type}


def test_every_kms_key_rotates(dev: Synthesized) -> None:
    keys = _resources(dev.data_json, "AWS::KMS::Key")
    assert len(keys) >= 6
    assert all(key["Properties"]["EnableKeyRotation"] is True for key in keys.values())


def test_tables_use_a_customer_managed_key_pitr_and_ttl(dev: Synthesized) -> None:
    tables = _resources(dev.data_json, "AWS::DynamoDB::GlobalTable")
    assert len(tables) == 3
    for table in tables.values():
        props = table["Properties"]
        assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
        replica = props["Replicas"][0]
        assert "KMSMasterKeyId" in replica["SSESpecification"]
        assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]


def test_dev_tables_can_be_deleted_but_prod_tables_cannot(dev: Synthesized) -> None:
    for table in _resources(dev.data_json, "AWS::DynamoDB::GlobalTable").values():
        assert table["Properties"]["Replicas"][0].get("DeletionProtectionEnabled") in (None, False)


def test_documents_bucket_is_kms_encrypted_versioned_logged_and_private(dev: Synthesized) -> None:
    dev.data.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    Match.object_like(
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": Match.any_value(),
                            }
                        }
                    )
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LoggingConfiguration": Match.object_like({"DestinationBucketName": Match.any_value()}),
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
        },
    )


def test_every_bucket_refuses_plain_http(dev: Synthesized) -> None:
    for template in (dev.data_json, dev.app_json):
        buckets = _resources(template, "AWS::S3::Bucket")
        policies = _resources(template, "AWS::S3::BucketPolicy").values()
        denied = {
            str(policy["Properties"]["Bucket"])
            for policy in policies
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Deny"
            and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        }
        for name in buckets:
            assert str({"Ref": name}) in denied, f"{name} accepts non-TLS requests"
