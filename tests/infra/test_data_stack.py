"""Stateful resources: encrypted with customer-managed keys, recoverable, never public."""

from __future__ import annotations

from aws_cdk.assertions import Match

from tests.infra.conftest import Synthesized, resources_of


def test_every_kms_key_rotates(dev: Synthesized) -> None:
    keys = resources_of(dev.data_json, "AWS::KMS::Key")
    assert len(keys) >= 6
    assert all(key["Properties"]["EnableKeyRotation"] is True for key in keys.values())


def test_tables_use_a_customer_managed_key_pitr_and_ttl(dev: Synthesized) -> None:
    tables = resources_of(dev.data_json, "AWS::DynamoDB::GlobalTable")
    assert len(tables) == 3
    for table in tables.values():
        props = table["Properties"]
        assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
        replica = props["Replicas"][0]
        assert "KMSMasterKeyId" in replica["SSESpecification"]
        assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]


def test_dev_tables_can_be_deleted(dev: Synthesized) -> None:
    for table in resources_of(dev.data_json, "AWS::DynamoDB::GlobalTable").values():
        assert table["Properties"]["Replicas"][0].get("DeletionProtectionEnabled") in (None, False)
        assert table["DeletionPolicy"] == "Delete"


def test_prod_tables_are_deletion_protected_and_retained(prod: Synthesized) -> None:
    tables = resources_of(prod.data_json, "AWS::DynamoDB::GlobalTable").values()
    assert len(tables) == 3
    for table in tables:
        assert table["Properties"]["Replicas"][0]["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"


def test_prod_keys_buckets_and_user_pool_are_retained(prod: Synthesized) -> None:
    for resource_type in ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Cognito::UserPool"):
        for name, resource in resources_of(prod.data_json, resource_type).items():
            assert resource["DeletionPolicy"] == "Retain", name
    prod.data.has_resource_properties("AWS::Cognito::UserPool", {"DeletionProtection": "ACTIVE"})


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
        buckets = resources_of(template, "AWS::S3::Bucket")
        policies = resources_of(template, "AWS::S3::BucketPolicy").values()
        denied = {
            str(policy["Properties"]["Bucket"])
            for policy in policies
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Deny"
            and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        }
        for name in buckets:
            assert str({"Ref": name}) in denied, f"{name} accepts non-TLS requests"
