"""What both workflows share: a named state machine encrypted with the workflow key, and the
EventBridge rule targets that start it.

With a customer-managed key, Step Functions encrypts each execution's data under the
encryption context `aws:states:stateMachineArn` = the state machine's ARN. The state
machine's own role uses the key for its definition and history (CDK grants it with that
condition, built from the state machine's name, which is why every state machine here is
named), and whoever calls StartExecution needs `kms:GenerateDataKey` and `kms:Decrypt` on the
key under the same context to encrypt the execution's input.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.constructs.nag import acknowledge

ENCRYPTION_CONTEXT_KEY = "kms:EncryptionContext:aws:states:stateMachineArn"
EXECUTION_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def encrypted_state_machine(
    scope: Construct,
    *,
    name: str,
    comment: str,
    definition: sfn.IChainable,
    timeout: Duration,
    workflow_key: kms.IKey,
    logs_key: kms.IKey,
    log_retention: logs.RetentionDays,
    removal_policy: RemovalPolicy,
) -> sfn.StateMachine:
    """A traced, logged standard state machine named `name`, encrypted with `workflow_key`."""
    log_group = logs.LogGroup(
        scope, "Logs", encryption_key=logs_key, retention=log_retention, removal_policy=removal_policy
    )
    state_machine = sfn.StateMachine(
        scope,
        "StateMachine",
        state_machine_name=name,
        comment=comment,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        tracing_enabled=True,
        timeout=timeout,
        encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(workflow_key),
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
    )
    acknowledge(
        state_machine,
        "AwsSolutions-IAM5[Resource::*]",
        "X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and related) accept "
        "no resource-level permissions.",
    )
    return state_machine


def grant_start_execution(
    state_machine: sfn.IStateMachine, workflow_key: kms.IKey, grantee: iam.IGrantable
) -> None:
    """StartExecution, plus the workflow key for this state machine's executions only."""
    state_machine.grant_start_execution(grantee)
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=list(EXECUTION_KEY_ACTIONS),
            resources=[workflow_key.key_arn],
            conditions={"StringEquals": {ENCRYPTION_CONTEXT_KEY: state_machine.state_machine_arn}},
        )
    )


def start_on_event(
    scope: Construct,
    state_machine: sfn.IStateMachine,
    *,
    workflow_key: kms.IKey,
    dead_letter_queue: sqs.IQueue,
) -> targets.SfnStateMachine:
    """A rule target starting `state_machine`, retried for two hours, then dead-lettered."""
    role = iam.Role(
        scope,
        "StartRole",
        assumed_by=iam.ServicePrincipal("events.amazonaws.com"),
        description="EventBridge starts the workflow",
    )
    grant_start_execution(state_machine, workflow_key, role)
    return targets.SfnStateMachine(
        state_machine,
        role=role,
        dead_letter_queue=dead_letter_queue,
        retry_attempts=4,
        max_event_age=Duration.hours(2),
    )
