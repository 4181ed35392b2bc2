"""A synthesized application as CloudFormation would deploy it: every intrinsic resolved to a value.

Physical names follow what CloudFormation does: a name property when the template sets one,
otherwise a generated name derived from the logical id (as CloudFormation derives it from the
stack and logical id). ARNs are built from those names with the deployment's account and region,
so IAM conditions and resources can be compared with the values the cloud would see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tests.infra.conftest import Synthesized

PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::DynamoDB::GlobalTable": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::OpenSearchServerless::Collection": "Name",
    "AWS::S3Vectors::VectorBucket": "VectorBucketName",
    "AWS::S3Vectors::Index": "IndexName",
}


@dataclass(frozen=True)
class Stack:
    name: str
    template: Mapping[str, Any]

    @property
    def resources(self) -> Mapping[str, Any]:
        resources: Mapping[str, Any] = self.template["Resources"]
        return resources


@dataclass(frozen=True)
class Function:
    """One Lambda function of the application, with what the cloud would give it."""

    stack: Stack
    logical_id: str
    handler: str
    environment: Mapping[str, str]
    role_logical_id: str
    name: str
    arn: str

    @property
    def module(self) -> str:
        return self.handler.rpartition(".")[0]


class Deployment:
    """The data and app stacks of one variant, deployed to `account`/`region` (on paper)."""

    def __init__(self, synthesized: Synthesized, *, account: str, region: str) -> None:
        self.config = synthesized.config
        self.account = account
        self.region = region
        self.data = Stack("data", synthesized.data_json)
        self.app = Stack("app", synthesized.app_json)
        self.stacks = (self.data, self.app)

    # -- reading the templates ------------------------------------------------------------

    def of_type(self, resource_type: str) -> Iterator[tuple[Stack, str, Mapping[str, Any]]]:
        for stack in self.stacks:
            for logical_id, resource in stack.resources.items():
                if resource["Type"] == resource_type:
                    yield stack, logical_id, resource

    def one(self, resource_type: str, prefix: str = "") -> tuple[Stack, str, Mapping[str, Any]]:
        (found,) = [item for item in self.of_type(resource_type) if item[1].startswith(prefix)]
        return found

    def resource(self, stack: Stack, logical_id: str) -> Mapping[str, Any]:
        resource: Mapping[str, Any] = stack.resources[logical_id]
        return resource

    @cached_property
    def functions(self) -> list[Function]:
        """The application's own functions (code from `lambdas/`), not CDK's helper functions."""
        functions = []
        for stack, logical_id, resource in self.of_type("AWS::Lambda::Function"):
            properties = resource["Properties"]
            if not str(properties.get("Handler", "")).startswith("lambdas."):
                continue
            variables = properties.get("Environment", {}).get("Variables", {})
            role = properties["Role"]["Fn::GetAtt"][0]
            functions.append(
                Function(
                    stack=stack,
                    logical_id=logical_id,
                    handler=properties["Handler"],
                    environment={key: str(self.resolve(stack, value)) for key, value in variables.items()},
                    role_logical_id=role,
                    name=self.ref(stack, logical_id),
                    arn=self.attribute(stack, logical_id, "Arn"),
                )
            )
        return functions

    def function(self, handler: str) -> Function:
        """The function of `handler`, given as the module alone when it has only one."""
        (found,) = [function for function in self.functions if handler in (function.module, function.handler)]
        return found

    def role_policies(self, stack: Stack, role_logical_id: str) -> list[dict[str, Any]]:
        """Every identity-policy statement attached to the role, intrinsics resolved."""
        statements: list[dict[str, Any]] = []
        role = self.resource(stack, role_logical_id)
        for policy in role["Properties"].get("Policies", []):
            statements.extend(policy["PolicyDocument"]["Statement"])
        for _, _, policy in self.of_type("AWS::IAM::Policy"):
            roles = policy["Properties"].get("Roles", [])
            if {"Ref": role_logical_id} in roles:
                statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
        return [self.resolve(stack, statement) for statement in statements]

    def role_arn(self, stack: Stack, role_logical_id: str) -> str:
        return self.attribute(stack, role_logical_id, "Arn")

    def key_policy(self, key_arn: str) -> list[dict[str, Any]]:
        for stack, logical_id, key in self.of_type("AWS::KMS::Key"):
            if self.attribute(stack, logical_id, "Arn") == key_arn:
                statements: list[dict[str, Any]] = key["Properties"]["KeyPolicy"]["Statement"]
                return [self.resolve(stack, statement) for statement in statements]
        raise KeyError(f"no KMS key {key_arn} in the templates")

    # -- physical names and attributes ----------------------------------------------------

    def ref(self, stack: Stack, logical_id: str) -> str:
        resource = self.resource(stack, logical_id)
        kind = resource["Type"]
        properties = resource.get("Properties", {})
        name_property = NAME_PROPERTIES.get(kind)
        generated = _generated_name(stack, logical_id, kind)
        if name_property and name_property in properties:
            generated = str(self.resolve(stack, properties[name_property]))
            if kind != "AWS::StepFunctions::StateMachine":  # whose Ref is its ARN
                return generated
        refs: dict[str, Callable[[], str]] = {
            "AWS::KMS::Key": lambda: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{stack.name}/{logical_id}")),
            "AWS::StepFunctions::StateMachine": lambda: self._arn("states", f"stateMachine:{generated}"),
            "AWS::Cognito::UserPool": lambda: f"{self.region}_{logical_id[:9]}",
            "AWS::SQS::Queue": lambda: f"https://sqs.{self.region}.{URL_SUFFIX}/{self.account}/{generated}",
            "AWS::SNS::Topic": lambda: self._arn("sns", generated),
            # API ids: ten lower-case letters and digits.
            "AWS::ApiGatewayV2::Api": lambda: uuid.uuid5(uuid.NAMESPACE_URL, logical_id).hex[:10],
            "AWS::ApiGateway::RestApi": lambda: uuid.uuid5(uuid.NAMESPACE_URL, logical_id).hex[:10],
        }
        return refs[kind]() if kind in refs else generated

    def attribute(self, stack: Stack, logical_id: str, attribute: str) -> str:
        kind = self.resource(stack, logical_id)["Type"]
        name = self.ref(stack, logical_id)
        if attribute == "Arn":
            arns: dict[str, Callable[[], str]] = {
                "AWS::DynamoDB::Table": lambda: self._arn("dynamodb", f"table/{name}"),
                "AWS::DynamoDB::GlobalTable": lambda: self._arn("dynamodb", f"table/{name}"),
                "AWS::S3::Bucket": lambda: f"arn:{PARTITION}:s3:::{name}",
                "AWS::KMS::Key": lambda: self._arn("kms", f"key/{name}"),
                "AWS::Lambda::Function": lambda: self._arn("lambda", f"function:{name}"),
                "AWS::IAM::Role": lambda: f"arn:{PARTITION}:iam::{self.account}:role/{name}",
                "AWS::Logs::LogGroup": lambda: self._arn("logs", f"log-group:{name}:*"),
                "AWS::StepFunctions::StateMachine": lambda: name,
                "AWS::Cognito::UserPool": lambda: self._arn("cognito-idp", f"userpool/{name}"),
                "AWS::OpenSearchServerless::Collection": lambda: self._arn("aoss", f"collection/{name}"),
                "AWS::SQS::Queue": lambda: self._arn("sqs", name.rpartition("/")[2]),
                "AWS::SNS::Topic": lambda: name,
            }
            if kind in arns:
                return arns[kind]()
            return self._arn(kind.split("::")[1].lower(), f"{logical_id.lower()}/{name}")
        special: dict[tuple[str, str], Callable[[], str]] = {
            ("AWS::OpenSearchServerless::Collection", "Id"): lambda: name,
            ("AWS::OpenSearchServerless::Collection", "CollectionEndpoint"): lambda: (
                f"https://{name}.{self.region}.aoss.{URL_SUFFIX}"
            ),
            ("AWS::Bedrock::Guardrail", "GuardrailId"): lambda: name,
            ("AWS::Bedrock::Guardrail", "GuardrailArn"): lambda: self._arn("bedrock", f"guardrail/{name}"),
            ("AWS::Bedrock::GuardrailVersion", "Version"): lambda: "1",
            ("AWS::StepFunctions::StateMachine", "Name"): lambda: name.rpartition(":")[2],
            ("AWS::Cognito::UserPool", "ProviderName"): lambda: (
                f"cognito-idp.{self.region}.{URL_SUFFIX}/{name}"
            ),
            ("AWS::SQS::Queue", "QueueName"): lambda: name.rpartition("/")[2],
            ("AWS::S3Vectors::VectorBucket", "VectorBucketArn"): lambda: self._arn(
                "s3vectors", f"bucket/{name}"
            ),
            ("AWS::S3Vectors::Index", "IndexArn"): lambda: self._index_arn(stack, logical_id),
        }
        if (kind, attribute) in special:
            return special[(kind, attribute)]()
        return f"{name}.{attribute}"

    def _index_arn(self, stack: Stack, logical_id: str) -> str:
        properties = self.resolve(stack, self.resource(stack, logical_id)["Properties"])
        bucket = properties.get("VectorBucketName") or properties["VectorBucketArn"].rpartition("/")[2]
        return self._arn("s3vectors", f"bucket/{bucket}/index/{self.ref(stack, logical_id)}")

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:{PARTITION}:{service}:{self.region}:{self.account}:{resource}"

    # -- intrinsic functions --------------------------------------------------------------

    @cached_property
    def exports(self) -> dict[str, tuple[Stack, Any]]:
        exports = {}
        for stack in self.stacks:
            for output in stack.template.get("Outputs", {}).values():
                if "Export" in output:
                    exports[str(self.resolve(stack, output["Export"]["Name"]))] = (stack, output["Value"])
        return exports

    def resolve(self, stack: Stack, value: Any) -> Any:
        """`value` with every intrinsic function replaced by what CloudFormation would put there."""
        if isinstance(value, list):
            return [self.resolve(stack, item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                return self._pseudo(stack, argument)
            if function == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.attribute(stack, logical_id, attribute)
            if function == "Fn::ImportValue":
                exporter, exported = self.exports[str(self.resolve(stack, argument))]
                return self.resolve(exporter, exported)
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(str(part) for part in self.resolve(stack, parts))
            if function == "Fn::Select":
                index, items = self.resolve(stack, argument)
                return items[int(index)]
            if function == "Fn::Split":
                separator, text = self.resolve(stack, argument)
                return str(text).split(separator)
            if function == "Fn::Sub":
                return self._sub(stack, argument)
        return {key: self.resolve(stack, item) for key, item in value.items()}

    def _pseudo(self, stack: Stack, name: str) -> str:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": stack.name,
        }
        return pseudo[name] if name in pseudo else self.ref(stack, name)

    def _sub(self, stack: Stack, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {key: str(self.resolve(stack, item)) for key, item in variables.items()}
        out, rest = "", text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            if name in values:
                out += before + values[name]
            elif "." in name:
                logical_id, attribute = name.split(".", 1)
                out += before + self.attribute(stack, logical_id, attribute)
            else:
                out += before + self._pseudo(stack, name)
        return out + rest


def _generated_name(stack: Stack, logical_id: str, kind: str) -> str:
    """CloudFormation's generated physical name: stack name, logical id and a random suffix."""
    suffix = uuid.uuid5(uuid.NAMESPACE_URL, f"{stack.name}/{logical_id}").hex[:12]
    name = f"{stack.name}-{logical_id[:40]}-{suffix}"
    return name.lower() if kind == "AWS::S3::Bucket" else name
