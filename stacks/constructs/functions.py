"""Lambda functions built the same way: one code asset, Powertools layer, X-Ray, encrypted logs.

Each function gets its own role whose only built-in permissions are writing to its own log
group and sending traces; everything else is granted explicitly by the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.constructs.nag import acknowledge, logical_arn

RUNTIME = lambda_.Runtime.PYTHON_3_14
PYTHON_VERSION = "3.14"


@dataclass(frozen=True, slots=True)
class FunctionDefaults:
    """What every function of the application shares."""

    code_dir: Path
    architecture: str
    powertools_version: str
    logs_key: kms.IKey
    log_retention: logs.RetentionDays
    removal_policy: RemovalPolicy
    environment: Mapping[str, str]
    # The operator's `functionSettings`, given to every function after what the stack sets.
    operator_settings: Mapping[str, str] = field(default_factory=dict)


class FunctionFactory(Construct):
    """Creates the application's functions from module paths such as `lambdas.handlers.api.handler`."""

    def __init__(self, scope: Construct, construct_id: str, *, defaults: FunctionDefaults) -> None:
        super().__init__(scope, construct_id)
        self._defaults = defaults
        self._code = lambda_.Code.from_asset(str(defaults.code_dir))
        self._architecture = (
            lambda_.Architecture.ARM_64 if defaults.architecture == "arm64" else lambda_.Architecture.X86_64
        )
        self._powertools = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", powertools_layer_arn(defaults.architecture, defaults.powertools_version)
        )

    def function(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        service: str,
        environment: Mapping[str, str] | None = None,
        timeout_seconds: int = 30,
        memory_size: int = 512,
        role: iam.Role | None = None,
    ) -> lambda_.Function:
        """A function; pass `role` to share one role between functions that act as one principal."""
        defaults = self._defaults
        stack_environment = {
            **defaults.environment,
            "POWERTOOLS_SERVICE_NAME": service,
            **(environment or {}),
        }
        clash = sorted(stack_environment.keys() & defaults.operator_settings.keys())
        if clash:
            raise ValueError(
                f"functionSettings cannot set {', '.join(clash)}: the stack sets it for {handler}"
            )
        log_group = logs.LogGroup(
            scope,
            f"{construct_id}Logs",
            encryption_key=defaults.logs_key,
            retention=defaults.log_retention,
            removal_policy=defaults.removal_policy,
        )
        role = role or iam.Role(
            scope,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {handler}",
        )
        observability = iam.Policy(
            scope,
            f"{construct_id}Observability",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:log-stream:*"],
                ),
                # X-Ray has no resource-level permissions: "*" is the only valid resource.
                iam.PolicyStatement(
                    actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
                ),
            ],
        )
        observability.attach_to_role(role)
        acknowledge(
            observability,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )
        acknowledge(
            observability,
            f"AwsSolutions-IAM5[Resource::{logical_arn(log_group)}:log-stream:*]",
            "Log streams are created at run time inside this function's own log group.",
        )
        function = lambda_.Function(
            scope,
            construct_id,
            runtime=RUNTIME,
            architecture=self._architecture,
            code=self._code,
            handler=handler,
            description=description,
            role=role,
            layers=[self._powertools],
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_size,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={**stack_environment, **defaults.operator_settings},
        )
        # Tracing is set on the resource rather than through `tracing=`, which would add the X-Ray
        # statement to the default policy, next to the grants, where a wildcard would hide.
        cfn_function = function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
        function.node.add_dependency(observability)
        for action in ("kms:ReEncrypt*", "kms:GenerateDataKey*"):
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Action::{action}]",
                "CDK's encrypt/decrypt grant on one named customer-managed key (table or bucket key); "
                "the wildcard covers only the variants of that single KMS operation.",
            )
        return function


def powertools_layer_arn(architecture: str, version: str) -> str:
    """The AWS-managed Powertools layer of exactly `version`, resolved by CloudFormation at deploy time.

    Powertools publishes one public SSM parameter per release, runtime and architecture, which
    pins the layer to the same Powertools version the tests run with.
    """
    runtime = f"python{PYTHON_VERSION}"
    return f"{{{{resolve:ssm:/aws/service/powertools/python/{architecture}/{runtime}/{version}}}}}"


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]
