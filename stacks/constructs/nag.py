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


def account_and_region(scope: IConstruct) -> tuple[str, str]:
    """The account and region as cdk-nag prints them: literal when the stack has an explicit
    environment, `<AWS::AccountId>` / `<AWS::Region>` when it is environment-agnostic."""
    stack = Stack.of(scope)
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    region = "<AWS::Region>" if Token.is_unresolved(stack.region) else stack.region
    return account, region
