"""Grants on the documents bucket and tables limited to exact actions (and key prefixes)."""

from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_

from stacks.constructs.nag import acknowledge


class DocumentObjects:
    """The documents bucket seen through its named export, so grants never reference the data
    stack's bucket resource directly (which would add the grant to the bucket's policy)."""

    def __init__(self, *, bucket_arn_export: str, key: kms.IKey) -> None:
        self._export = bucket_arn_export
        self._bucket_arn = Fn.import_value(bucket_arn_export)
        self._key = key

    @property
    def bucket_arn(self) -> str:
        return self._bucket_arn

    def arn_under(self, prefix: str) -> str:
        return f"{self._bucket_arn}/{prefix}*"

    def allow(self, function: lambda_.IFunction, prefix: str, *actions: str) -> None:
        role = role_of(function)
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=list(actions), resources=[self.arn_under(prefix)])
        )
        if "s3:PutObject" in actions:
            self._key.grant_encrypt_decrypt(role)
        else:
            self._key.grant_decrypt(role)
        self.acknowledge_prefix(role, prefix)

    def allow_listing(self, function: lambda_.IFunction, *prefixes: str) -> None:
        """ListBucket (ListObjectsV2) limited to keys under `prefixes`: S3 checks the request's
        `prefix` parameter against the condition, so listing anything else is refused."""
        role_of(function).add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self._bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            )
        )

    def acknowledge_prefix(self, role: iam.IRole, prefix: str) -> None:
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{self._export}/{prefix}*]",
            f"Object keys under {prefix} are created at run time (owner and document ids); the grant "
            "names the exact S3 actions and only this prefix.",
        )


def role_of(function: lambda_.IFunction) -> iam.IRole:
    """The execution role of a function this application created (always has one)."""
    role = function.role
    assert role is not None
    return role


_READ_ONLY_ITEM_ACTIONS = frozenset({"GetItem", "Query", "BatchGetItem"})


def allow_items(table: dynamodb.ITableV2, function: lambda_.IFunction, *actions: str) -> None:
    """Exactly these DynamoDB item `actions` on `table` (and its indexes), with its key: decrypt to
    read, encrypt as well when an action writes."""
    table.grant(function, *(f"dynamodb:{action}" for action in actions))
    key = table.encryption_key
    assert key is not None, "every table is encrypted with a customer-managed key"
    if set(actions) <= _READ_ONLY_ITEM_ACTIONS:
        key.grant_decrypt(function)
    else:
        key.grant_encrypt_decrypt(function)
