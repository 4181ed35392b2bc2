"""The workflow key's grants match what Step Functions sends to KMS.

Step Functions encrypts a state machine's executions under the encryption context
`aws:states:stateMachineArn` = that state machine's ARN: its own role and every caller of
StartExecution need the key under exactly that context value.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import ACCOUNT, REGION, Synthesized, as_list, policy_statements, resources_of

CONTEXT_KEY = "kms:EncryptionContext:aws:states:stateMachineArn"
WORKFLOW_KEY_EXPORT = "EncryptionWorkflowKey"


def state_machine_arns(synthesized: Synthesized) -> dict[str, str]:
    """Logical id -> the ARN each state machine will have once created."""
    return {
        name: f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine['Properties']['StateMachineName']}"
        for name, machine in resources_of(synthesized.app_json, "AWS::StepFunctions::StateMachine").items()
        if "StateMachineName" in machine["Properties"]
    }


def resolved(value: Any, arns: dict[str, str]) -> str:
    """A condition value with `Ref` to a state machine replaced by its ARN."""
    if isinstance(value, dict) and "Ref" in value:
        return arns.get(value["Ref"], f"<unresolved {value['Ref']}>")
    return str(value)


def workflow_key_contexts(synthesized: Synthesized, policy_prefix: str) -> dict[str, set[str]]:
    """Action -> state machine ARNs for which policies whose id starts with `policy_prefix` allow
    that action on the workflow key."""
    arns = state_machine_arns(synthesized)
    allowed: dict[str, set[str]] = {}
    for policy, statement in policy_statements(synthesized.app_json):
        if not policy.startswith(policy_prefix) or WORKFLOW_KEY_EXPORT not in str(statement["Resource"]):
            continue
        context = statement.get("Condition", {}).get("StringEquals", {}).get(CONTEXT_KEY)
        if context is None:
            continue
        for action in as_list(statement["Action"]):
            allowed.setdefault(action, set()).add(resolved(context, arns))
    return allowed


def start_execution_callers(synthesized: Synthesized) -> dict[str, str]:
    """Policy logical id -> ARN of the state machine it may start."""
    arns = state_machine_arns(synthesized)
    return {
        policy: resolved(resource, arns)
        for policy, statement in policy_statements(synthesized.app_json)
        if "states:StartExecution" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }


@pytest.mark.parametrize("machine", ["Ingestion", "Summaries"])
def test_every_state_machine_is_named_so_its_arn_is_known(dev: Synthesized, machine: str) -> None:
    named = [name for name in state_machine_arns(dev) if name.startswith(f"{machine}StateMachine")]
    assert len(named) == 1


@pytest.mark.parametrize("machine", ["Ingestion", "Summaries"])
def test_state_machine_role_may_use_the_key_for_its_own_executions(dev: Synthesized, machine: str) -> None:
    (arn,) = [
        arn for name, arn in state_machine_arns(dev).items() if name.startswith(f"{machine}StateMachine")
    ]
    contexts = workflow_key_contexts(dev, f"{machine}StateMachineRole")
    assert contexts == {"kms:Decrypt": {arn}, "kms:GenerateDataKey": {arn}}


def test_every_caller_of_start_execution_may_encrypt_that_executions_input(dev: Synthesized) -> None:
    callers = start_execution_callers(dev)
    # The upload rule, the ingestion-succeeded rule, and the vector index provider's onEvent
    # function, which starts the framework's waiter.
    assert len(callers) == 3
    for policy, arn in callers.items():
        contexts = workflow_key_contexts(dev, policy)
        assert contexts == {"kms:Decrypt": {arn}, "kms:GenerateDataKey": {arn}}, policy
