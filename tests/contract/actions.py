"""What IAM authorizes for each recorded AWS call: action(s), resource ARN(s), condition context.

Includes the KMS calls a service makes with the caller's permissions on a customer-managed
key: an S3 put to an SSE-KMS bucket needs kms:GenerateDataKey, a get kms:Decrypt; every
DynamoDB request on a table encrypted with a customer-managed key needs kms:Decrypt. Bedrock
Converse is authorized as bedrock:InvokeModel and ConverseStream as
bedrock:InvokeModelWithResponseStream, on the inference profile and on the foundation model
in each region the profile routes to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from stacks.config import INFERENCE_PROFILE_REGIONS
from tests.contract.cloud import Call
from tests.contract.deployment import Deployment
from tests.contract.iam import Request

TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "DeleteObject": "s3:DeleteObject",
}


@dataclass(frozen=True)
class Resources:
    """Physical names of one deployment mapped back to ARNs and their encryption keys."""

    deployment: Deployment

    @cached_property
    def table_keys(self) -> dict[str, str | None]:
        keys: dict[str, str | None] = {}
        for kind in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            for stack, logical_id, table in self.deployment.of_type(kind):
                properties = self.deployment.resolve(stack, table["Properties"])
                key = properties.get("SSESpecification", {}).get("KMSMasterKeyId")
                for replica in properties.get("Replicas", []):
                    key = replica.get("SSESpecification", {}).get("KMSMasterKeyId", key)
                keys[self.deployment.ref(stack, logical_id)] = key
        return keys

    @cached_property
    def bucket_keys(self) -> dict[str, str | None]:
        keys: dict[str, str | None] = {}
        for stack, logical_id, bucket in self.deployment.of_type("AWS::S3::Bucket"):
            encryption = self.deployment.resolve(stack, bucket["Properties"].get("BucketEncryption", {}))
            rules = encryption.get("ServerSideEncryptionConfiguration", [{}])
            default = rules[0].get("ServerSideEncryptionByDefault", {})
            keys[self.deployment.ref(stack, logical_id)] = (
                default.get("KMSMasterKeyID") if default.get("SSEAlgorithm") == "aws:kms" else None
            )
        return keys

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.deployment.region}:{self.deployment.account}:{resource}"

    def model_arns(self, model_id: str) -> list[str]:
        region = self.deployment.region
        if model_id.startswith("arn:"):
            return [model_id]
        geography, _, foundation_model = model_id.partition(".")
        if "*" in INFERENCE_PROFILE_REGIONS.get(geography, ()):
            # A global profile's requests are authorized against the Region-less model ARN.
            return [
                self.arn("bedrock", f"inference-profile/{model_id}"),
                f"arn:aws:bedrock:::foundation-model/{foundation_model}",
            ]
        if geography in INFERENCE_PROFILE_REGIONS:
            return [
                self.arn("bedrock", f"inference-profile/{model_id}"),
                *(
                    f"arn:aws:bedrock:{r}::foundation-model/{foundation_model}"
                    for r in INFERENCE_PROFILE_REGIONS[geography]
                ),
            ]
        return [f"arn:aws:bedrock:{region}::foundation-model/{model_id}"]


def requests_of(call: Call, resources: Resources) -> Iterator[Request]:
    """The IAM requests one AWS call is authorized as."""
    params = call.params
    region = resources.deployment.region
    if call.service == "dynamodb":
        yield from _dynamodb(call, resources)
    elif call.service == "s3":
        bucket = params["Bucket"]
        key_arn = resources.bucket_keys.get(bucket)
        if call.operation in S3_ACTIONS:
            yield Request(S3_ACTIONS[call.operation], f"arn:aws:s3:::{bucket}/{params['Key']}")
            if key_arn:
                kms_action = "kms:GenerateDataKey" if call.operation == "PutObject" else "kms:Decrypt"
                yield _kms(kms_action, key_arn, f"s3.{region}.amazonaws.com")
        elif call.operation == "DeleteObjects":
            for item in params["Delete"]["Objects"]:
                yield Request("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{item['Key']}")
        elif call.operation in ("ListObjectsV2", "ListObjects"):
            yield Request("s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": params.get("Prefix", "")})
        else:
            raise AssertionError(f"no IAM mapping for s3 {call.operation}")
    elif call.service == "bedrock-runtime":
        action = {
            "Converse": "bedrock:InvokeModel",
            "InvokeModel": "bedrock:InvokeModel",
            "ConverseStream": "bedrock:InvokeModelWithResponseStream",
        }[call.operation]
        for arn in resources.model_arns(params["modelId"]):
            yield Request(action, arn)
        if "guardrailConfig" in params:
            guardrail = params["guardrailConfig"]["guardrailIdentifier"]
            yield Request("bedrock:ApplyGuardrail", resources.arn("bedrock", f"guardrail/{guardrail}"))
    elif call.service == "apigatewaymanagementapi":
        url = urlparse(call.url)
        api_id = (url.hostname or "").split(".")[0]
        stage = url.path.strip("/").split("/")[0]
        resource = f"{api_id}/{stage}/POST/@connections/{params['ConnectionId']}"
        yield Request("execute-api:ManageConnections", resources.arn("execute-api", resource))
    elif call.service == "s3vectors":
        index = f"bucket/{params['vectorBucketName']}/index/{params['indexName']}"
        yield Request(f"s3vectors:{call.operation}", resources.arn("s3vectors", index))
        if call.operation == "QueryVectors" and (params.get("returnMetadata") or params.get("filter")):
            # Documented: metadata or a filter in a query also needs s3vectors:GetVectors.
            yield Request("s3vectors:GetVectors", resources.arn("s3vectors", index))
    elif call.service == "lambda":
        yield Request("lambda:InvokeFunction", params["FunctionName"])
    elif call.service == "aoss":
        yield Request("aoss:APIAccessAll", resources.arn("aoss", f"collection/{params['collection']}"))
    else:
        raise AssertionError(f"no IAM mapping for {call.service} {call.operation}")


def _dynamodb(call: Call, resources: Resources) -> Iterator[Request]:
    params: Mapping[str, Any] = call.params
    region = resources.deployment.region
    targets: list[tuple[str, str, str | None]] = []  # (action, table, index)
    if call.operation in ("BatchWriteItem", "BatchGetItem"):
        targets = [(call.operation, table, None) for table in params["RequestItems"]]
    elif call.operation == "TransactWriteItems":
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            targets.append((TRANSACT[kind], body["TableName"], None))
    elif call.operation == "TransactGetItems":
        targets = [("GetItem", item["Get"]["TableName"], None) for item in params["TransactItems"]]
    else:
        targets = [(call.operation, params["TableName"], params.get("IndexName"))]
    for action, table, index in targets:
        arn = resources.arn("dynamodb", f"table/{table}") + (f"/index/{index}" if index else "")
        yield Request(f"dynamodb:{action}", arn)
        key_arn = resources.table_keys.get(table)
        if key_arn:
            yield _kms("kms:Decrypt", key_arn, f"dynamodb.{region}.amazonaws.com")


def _kms(action: str, key_arn: str, via_service: str) -> Request:
    return Request(action, key_arn, {"kms:ViaService": via_service})
