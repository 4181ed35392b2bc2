"""Permissions contract: every AWS call of every journey is allowed by its caller's role as
synthesized, KMS included (identity policies plus the key's policy), with real context values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from tests.contract.actions import Resources, requests_of
from tests.contract.conftest import Journal
from tests.contract.deployment import Deployment
from tests.contract.iam import Request, identity_decision, key_policy_decision


def denied(deployment: Deployment, stack_name: str, role: str, requests: list[Request]) -> list[str]:
    stack = deployment.data if stack_name == "data" else deployment.app
    statements = deployment.role_policies(stack, role)
    principal = deployment.role_arn(stack, role)
    refused = []
    for request in requests:
        if request.action.lower().startswith("kms:"):
            allowed = key_policy_decision(
                deployment.key_policy(request.resource),
                statements,
                request,
                principal_arn=principal,
                account=deployment.account,
            )
        else:
            allowed = identity_decision(statements, request)
        if not allowed:
            refused.append(str(request))
    return refused


def report(refusals: Mapping[str, Iterable[str]]) -> str:
    """One line per denied request, under the principal that was denied."""
    lines = ["denied:"]
    for principal, requests in sorted(refusals.items()):
        lines += [f"  {principal}:", *(f"    {request}" for request in sorted(requests))]
    return "\n".join(lines)


def refusals_of(journal: Journal, *, functions: bool) -> dict[str, set[str]]:
    """Denied requests of the journeys' calls, by caller: the functions' or the workflows' roles."""
    deployment = journal.deployment
    resources = Resources(deployment)
    function_ids = {function.logical_id for function in deployment.functions}
    refusals: dict[str, set[str]] = {}
    for journey, outcome in journal.outcomes.items():
        for principal, call in outcome.calls:
            if (principal.name in function_ids) != functions:
                continue
            requests = list(requests_of(call, resources))
            for refusal in denied(deployment, principal.stack_name, principal.role_logical_id, requests):
                refusals.setdefault(f"{principal.name} ({journey})", set()).add(refusal)
    return refusals


def test_every_call_a_function_makes_is_allowed_by_its_role(journal: Journal) -> None:
    refusals = refusals_of(journal, functions=True)
    assert not refusals, report(refusals)


@pytest.mark.xfail(
    strict=True,
    reason="both state machines' DynamoDB updateItem tasks write the documents table, encrypted "
    "with the data key, but neither role has kms:Decrypt on that key",
)
def test_every_call_a_workflow_integration_makes_is_allowed_by_the_state_machine_role(
    journal: Journal,
) -> None:
    """Step Functions calls Lambda and DynamoDB with the state machine's role."""
    refusals = refusals_of(journal, functions=False)
    assert not refusals, report(refusals)


def test_each_workflow_can_encrypt_and_decrypt_its_executions(deployment: Deployment) -> None:
    """Step Functions uses the state machine's role on its customer-managed key, with the
    machine's ARN as encryption context."""
    refusals = {}
    for stack, logical_id, machine in deployment.of_type("AWS::StepFunctions::StateMachine"):
        encryption = deployment.resolve(stack, machine["Properties"].get("EncryptionConfiguration", {}))
        if encryption.get("Type") != "CUSTOMER_MANAGED_KMS_KEY":
            continue
        context = {"kms:EncryptionContext:aws:states:stateMachineArn": deployment.ref(stack, logical_id)}
        requests = [
            Request(action, encryption["KmsKeyId"], context)
            for action in ("kms:GenerateDataKey", "kms:Decrypt")
        ]
        role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        if found := denied(deployment, stack.name, role, requests):
            refusals[logical_id] = found
    assert not refusals, report(refusals)


def test_each_event_rule_can_start_its_encrypted_workflow(deployment: Deployment) -> None:
    """The EventBridge target role calls StartExecution, which encrypts the input with the
    machine's key: it needs states:StartExecution and kms:GenerateDataKey."""
    machines = {
        deployment.ref(stack, logical_id): (stack, machine)
        for stack, logical_id, machine in deployment.of_type("AWS::StepFunctions::StateMachine")
    }
    refusals = {}
    for stack, logical_id, rule in deployment.of_type("AWS::Events::Rule"):
        for target in deployment.resolve(stack, rule["Properties"]["Targets"]):
            if target["Arn"] not in machines:
                continue
            machine_stack, machine = machines[target["Arn"]]
            requests = [Request("states:StartExecution", target["Arn"])]
            encryption = deployment.resolve(
                machine_stack, machine["Properties"].get("EncryptionConfiguration", {})
            )
            if encryption.get("Type") == "CUSTOMER_MANAGED_KMS_KEY":
                context = {"kms:EncryptionContext:aws:states:stateMachineArn": target["Arn"]}
                requests.append(Request("kms:GenerateDataKey", encryption["KmsKeyId"], context))
            role_logical_id = rule["Properties"]["Targets"][0]["RoleArn"]["Fn::GetAtt"][0]
            if found := denied(deployment, stack.name, role_logical_id, requests):
                refusals[logical_id] = found
    assert not refusals, report(refusals)
