"""Failures end somewhere visible: a failed ingestion leaves its document FAILED, a failed summary
says why on the document, a crashed custom resource fails the deployment within minutes, and a
dev stack leaves no log groups behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import Synthesized, resources_of, state_machine_definition

# States that can fail and so can catch (Pass, Choice, Succeed and Fail cannot).
CATCHING_TYPES = {"Task", "Map", "Parallel"}


def states_that_can_fail(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Task, Map or Parallel state, including those inside Map iterations."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in definition["States"].items():
        if state["Type"] in CATCHING_TYPES:
            found[name] = state
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            found |= {f"{name}/{inner}": s for inner, s in states_that_can_fail(processor).items()}
    return found


def catch_targets(state: dict[str, Any]) -> set[str]:
    return {catcher["Next"] for catcher in state.get("Catch", []) if "States.ALL" in catcher["ErrorEquals"]}


def test_every_ingestion_step_that_can_fail_records_the_failure(dev: Synthesized) -> None:
    definition = state_machine_definition(dev.app_json, "IngestionStateMachine")
    uncaught = {
        name
        for name, state in states_that_can_fail(definition).items()
        if "/" not in name and name != "MarkFailed" and catch_targets(state) != {"MarkFailed"}
    }
    assert uncaught == set()


def test_recording_a_failure_retries_and_then_ends_the_execution_failed(dev: Synthesized) -> None:
    mark_failed = state_machine_definition(dev.app_json, "IngestionStateMachine")["States"]["MarkFailed"]
    assert mark_failed["Retry"]
    assert catch_targets(mark_failed) == {"Failed"}
    assert mark_failed["Next"] == "Failed"


def test_every_summary_step_that_can_fail_records_why_on_the_document(dev: Synthesized) -> None:
    definition = state_machine_definition(dev.app_json, "SummariesStateMachine")
    steps = states_that_can_fail(definition)
    uncaught = {
        name
        for name, state in steps.items()
        if name != "RecordSummaryFailure" and catch_targets(state) != {"RecordSummaryFailure"}
    }
    assert uncaught == set()
    record = steps["RecordSummaryFailure"]
    assert "summary_error" in record["Parameters"]["UpdateExpression"]
    assert "#status" not in record["Parameters"]["UpdateExpression"]
    assert catch_targets(record) == {"SummaryFailed"}


@pytest.mark.parametrize(("profile", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_every_log_group_follows_the_stage_removal_policy(
    profile: str, policy: str, request: pytest.FixtureRequest
) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    policies = {
        name: group.get("DeletionPolicy", "Retain")
        for name, group in resources_of(synthesized.app_json, "AWS::Logs::LogGroup").items()
    }
    assert {name for name, found in policies.items() if found != policy} == set()


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_synthesis_gives_no_warnings(profile: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    warnings = [
        (path, entry["data"])
        for metadata in Path(synthesized.directory).glob("*.metadata.json")
        for path, entries in json.loads(metadata.read_text()).items()
        for entry in entries
        if entry["type"] == "aws:cdk:warning"
    ]
    assert warnings == []
