"""The ASL subset the workflow journeys execute, against Step Functions' documented behaviour."""

from __future__ import annotations

from typing import Any

from tests.contract.workflow import StateMachine, build_parameters, evaluate, read_path

DATA = {
    "detail": {"object": {"key": "uploads/user-1/doc-9/notes.md"}},
    "items": [{"text": "a"}, {"text": "b"}],
}


def test_paths_read_fields_indexes_and_spreads() -> None:
    assert read_path("$.detail.object.key", DATA, {}) == "uploads/user-1/doc-9/notes.md"
    assert read_path("$.items[1].text", DATA, {}) == "b"
    assert read_path("$.items[*].text", DATA, {}) == ["a", "b"]
    assert read_path("$$.State.Name", DATA, {"State": {"Name": "Extract"}}) == "Extract"


def test_intrinsics_split_pick_and_format() -> None:
    owner = "States.ArrayGetItem(States.StringSplit($.detail.object.key, '/'), 1)"
    assert evaluate(owner, DATA, {}) == "user-1"
    assert evaluate("States.Format('USER#{} has {}', $.detail.object.key, $.items[*].text)", DATA, {}) == (
        'USER#uploads/user-1/doc-9/notes.md has ["a", "b"]'
    )
    assert evaluate("States.StringToJson('{\"n\": 1}')", DATA, {}) == {"n": 1}


def test_parameters_evaluate_only_keys_ending_in_dollar() -> None:
    built = build_parameters({"key.$": "$.detail.object.key", "fixed": {"S": "$.not-a-path"}}, DATA, {})
    assert built == {"key": "uploads/user-1/doc-9/notes.md", "fixed": {"S": "$.not-a-path"}}


def test_a_failing_task_goes_to_its_catch_with_the_error_at_the_result_path() -> None:
    definition: dict[str, Any] = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:work",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
                "End": True,
            },
            "Failed": {"Type": "Fail"},
        },
    }

    def fail(_: str, __: dict[str, Any]) -> Any:
        raise ValueError("no text")

    execution, output = StateMachine(definition, fail, fail).start({"a": 1})
    assert execution.status == "FAILED"
    assert output == {"a": 1, "error": {"Error": "ValueError", "Cause": "no text"}}


def test_choice_follows_the_first_matching_rule_or_the_default() -> None:
    definition: dict[str, Any] = {
        "StartAt": "HasText",
        "States": {
            "HasText": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.batches[0]", "IsPresent": True, "Next": "Done"}],
                "Default": "Nothing",
            },
            "Done": {"Type": "Succeed"},
            "Nothing": {"Type": "Fail"},
        },
    }
    machine = StateMachine(definition, lambda *_: None, lambda *_: None)
    assert machine.start({"batches": [{"key": "k"}]})[0].visited == ["HasText", "Done"]
    assert machine.start({"batches": []})[0].visited == ["HasText", "Nothing"]
