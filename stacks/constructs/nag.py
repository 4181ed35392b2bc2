"""Acknowledging a cdk-nag finding: always on one construct, always with the reason it is safe."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Token, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def logical_arn(construct: IConstruct) -> str:
    """How cdk-nag names `Fn::GetAtt <construct>.Arn` in a finding: `<LogicalId.Arn>`."""
    cfn = construct.node.default_child
    assert isinstance(cfn, CfnElement)
    return f"<{Stack.of(cfn).resolve(cfn.logical_id)}.Arn>"


def logical_ref(construct: IConstruct) -> str:
    """How cdk-nag names `Ref <construct>` in a finding: `<LogicalId>`."""
    cfn = construct.node.default_child
    assert isinstance(cfn, CfnElement)
    return f"<{Stack.of(cfn).resolve(cfn.logical_id)}>"


def partition_account_and_region(scope: IConstruct) -> tuple[str, str, str]:
    """The partition, account and region as cdk-nag prints them: literal when known at synth time
    (explicit environment; with partition literals on, a known region fixes the partition),
    `<AWS::...>` otherwise."""
    stack = Stack.of(scope)
    return (
        _as_printed(stack.partition, "Partition"),
        _as_printed(stack.account, "AccountId"),
        _as_printed(stack.region, "Region"),
    )


def _as_printed(value: str, pseudo_parameter: str) -> str:
    return f"<AWS::{pseudo_parameter}>" if Token.is_unresolved(value) else value
