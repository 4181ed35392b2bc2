"""Shape of the two workflows as synthesized: bounded fan-out, retries, every failure recorded."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import (
    Synthesized,
    as_list,
    policy_statements,
    resources_of,
    state_machine_definition,
)


def _ingestion(synthesized: Synthesized) -> dict[str, Any]:
    return state_machine_definition(synthesized.app_json, "IngestionStateMachine")


def test_every_ingestion_step_after_parsing_is_caught_into_mark_failed(dev: Synthesized) -> None:
    states = _ingestion(dev)["States"]
    for name in ("MarkProcessing", "Extract", "EmbedBatches", "Index", "MarkReady"):
        assert states[name]["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "MarkFailed"}
        ]
    assert states["MarkFailed"]["Next"] == "Failed"
    assert states["Failed"]["Type"] == "Fail"


def test_batches_are_embedded_four_at_a_time_retrying_throttling_with_backoff(dev: Synthesized) -> None:
    embed_batches = _ingestion(dev)["States"]["EmbedBatches"]
    assert embed_batches["MaxConcurrency"] == 4
    retries = embed_batches["ItemProcessor"]["States"]["EmbedBatch"]["Retry"]
    (throttled,) = [r for r in retries if r["ErrorEquals"] == ["ModelThrottled"]]
    assert throttled["BackoffRate"] > 1
    assert throttled["JitterStrategy"] == "FULL"


def test_failure_reason_names_the_error_without_its_stack_trace(dev: Synthesized) -> None:
    parameters = _ingestion(dev)["States"]["MarkFailed"]["Parameters"]
    reason = parameters["ExpressionAttributeValues"][":reason"]["S.$"]
    assert "$.error.Error" in reason
    assert "Cause" not in reason


def test_state_machines_trace_and_log_every_event(dev: Synthesized) -> None:
    for machine in resources_of(dev.app_json, "AWS::StepFunctions::StateMachine").values():
        props = machine["Properties"]
        assert props["TracingConfiguration"] == {"Enabled": True}
        assert props["LoggingConfiguration"]["Level"] == "ALL"
        assert props["LoggingConfiguration"]["IncludeExecutionData"] is False


def test_upload_rule_starts_ingestion_with_a_dead_letter_queue(dev: Synthesized) -> None:
    rules = [
        r
        for r in resources_of(dev.app_json, "AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
    ]
    (upload,) = [r for r in rules if r["Properties"]["EventPattern"]["source"] == ["aws.s3"]]
    (target,) = upload["Properties"]["Targets"]
    assert "IngestionStateMachine" in str(target["Arn"])
    assert "DeadLetterConfig" in target
    # Only keys naming an owner and a document: ParseUpload (a Pass state) cannot catch.
    assert upload["Properties"]["EventPattern"]["detail"]["object"] == {
        "key": [{"wildcard": "uploads/*/*/*"}]
    }


def test_summaries_call_bedrock_natively_and_retry_throttling(dev: Synthesized) -> None:
    states = state_machine_definition(dev.app_json, "SummariesStateMachine")["States"]
    summarise = states["Summarise"]
    assert summarise["Resource"].endswith(":states:::bedrock:invokeModel")
    assert "Bedrock.ThrottlingException" in summarise["Retry"][0]["ErrorEquals"]
    assert summarise["Parameters"]["ModelId"].endswith("::foundation-model/amazon.nova-lite-v1:0")
    assert states["SaveSummary"]["Resource"].endswith(":states:::dynamodb:updateItem")


def test_summaries_start_when_an_ingestion_succeeds(dev: Synthesized) -> None:
    rules = [
        r
        for r in resources_of(dev.app_json, "AWS::Events::Rule").values()
        if "EventPattern" in r["Properties"]
    ]
    (rule,) = [r for r in rules if r["Properties"]["EventPattern"]["source"] == ["aws.states"]]
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail"]["status"] == ["SUCCEEDED"]
    assert "IngestionStateMachine" in str(pattern["detail"]["stateMachineArn"])
    assert "SummariesStateMachine" in str(rule["Properties"]["Targets"][0]["Arn"])


def test_embed_step_may_write_the_usage_and_progress_it_records_and_no_other_table(dev: Synthesized) -> None:
    embed_writes = [
        str(statement["Resource"])
        for policy, statement in policy_statements(dev.app_json)
        if policy.startswith("IngestEmbedFunction") and "dynamodb:UpdateItem" in as_list(statement["Action"])
    ]
    assert any("Usage" in resource for resource in embed_writes)
    assert any("Documents" in resource for resource in embed_writes)
    assert all("Conversations" not in resource for resource in embed_writes)
