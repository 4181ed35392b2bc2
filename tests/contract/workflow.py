"""Runs a synthesized state machine's ASL the way Step Functions would, task by task.

Only what the application's definitions use: Pass, Task (Lambda functions and service
integrations, run by `run_integration`), Map, Choice (IsPresent, StringEquals, BooleanEquals),
Succeed, Fail; Parameters and ResultSelector with JsonPath (`[n]` and `[*]` included) and the
intrinsic functions States.Format, States.StringSplit, States.ArrayGetItem and
States.StringToJson; InputPath, ResultPath; Catch. Each Lambda task runs the function's real
handler through `run_lambda`, with the payload built exactly as the state's Parameters build it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

RunLambda = Callable[[str, dict[str, Any]], Any]
RunIntegration = Callable[[str, dict[str, Any]], Any]
ENTERED_TIME = "2026-01-01T00:00:00.000Z"


@dataclass
class Execution:
    status: str = "RUNNING"
    error: dict[str, Any] | None = None
    visited: list[str] = field(default_factory=list)
    lambda_payloads: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def read_path(path: str, data: Any, context: Mapping[str, Any]) -> Any:
    """A JsonPath of ASL: `$.a.b[0]`, `$.items[*].text`, `$$.State.EnteredTime`; KeyError or
    IndexError when absent."""
    root = context if path.startswith("$$") else data
    rest = path[2:] if path.startswith("$$") else path[1:]
    values, spread = [root], False
    for key, index in _STEP.findall(rest):
        if index == "*":
            values, spread = [item for value in values for item in value], True
        elif index:
            values = [value[int(index)] for value in values]
        else:
            values = [value[key] for value in values]
    return values if spread else values[0]


def _present(path: str, data: Any) -> bool:
    try:
        read_path(path, data, {})
    except (KeyError, IndexError, TypeError):
        return False
    return True


def choose(state: Mapping[str, Any], data: Any) -> str:
    for rule in state["Choices"]:
        variable = rule["Variable"]
        if "IsPresent" in rule:
            matched = _present(variable, data) == rule["IsPresent"]
        elif "StringEquals" in rule:
            matched = _present(variable, data) and read_path(variable, data, {}) == rule["StringEquals"]
        elif "BooleanEquals" in rule:
            matched = _present(variable, data) and read_path(variable, data, {}) is rule["BooleanEquals"]
        else:
            raise AssertionError(f"choice rule {rule} is not supported here")
        if matched:
            return str(rule["Next"])
    return str(state["Default"])


def write_path(data: Any, path: str | None, result: Any) -> Any:
    if path is None:
        return data
    if path == "$":
        return result
    target = copy.deepcopy(data)
    node = target
    parts = path[2:].split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = result
    return target


def _split_arguments(text: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for char in text:
        if char == "'" and not current.endswith("\\"):
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()] if current.strip() else parts


def evaluate(expression: str, data: Any, context: Mapping[str, Any]) -> Any:
    """A JsonPath or an intrinsic function call, as in a `key.$` value."""
    expression = expression.strip()
    call = re.fullmatch(r"(States\.\w+)\((.*)\)", expression, re.DOTALL)
    if not call:
        if expression.startswith("'"):
            return expression[1:-1].replace("\\'", "'")
        if expression.startswith("$"):
            return read_path(expression, data, context)
        return float(expression) if "." in expression else int(expression)
    name, arguments = call.groups()
    values = [evaluate(argument, data, context) for argument in _split_arguments(arguments)]
    if name == "States.Format":
        template, *fillers = values
        pieces = str(template).split("{}")
        assert len(pieces) == len(fillers) + 1, f"{expression}: argument count"
        # Step Functions writes a non-string argument as JSON.
        texts = [filler if isinstance(filler, str) else json.dumps(filler) for filler in fillers]
        return pieces[0] + "".join(text + piece for text, piece in zip(texts, pieces[1:], strict=True))
    if name == "States.StringSplit":
        text, separators = values
        return [piece for piece in re.split("|".join(map(re.escape, separators)), str(text)) if piece]
    if name == "States.StringToJson":
        return json.loads(values[0])
    if name == "States.ArrayGetItem":
        items, index = values
        return items[int(index)]
    raise AssertionError(f"intrinsic {name} is not supported here")


def build_parameters(template: Any, data: Any, context: Mapping[str, Any]) -> Any:
    if isinstance(template, dict):
        built = {}
        for key, value in template.items():
            if key.endswith(".$"):
                built[key[:-2]] = evaluate(value, data, context)
            else:
                built[key] = build_parameters(value, data, context)
        return built
    if isinstance(template, list):
        return [build_parameters(item, data, context) for item in template]
    return template


class StateMachine:
    def __init__(
        self, definition: Mapping[str, Any], run_lambda: RunLambda, run_integration: RunIntegration
    ) -> None:
        self.definition = definition
        self.run_lambda = run_lambda
        self.run_integration = run_integration

    def start(self, event: dict[str, Any]) -> tuple[Execution, Any]:
        execution = Execution()
        output = self._run(self.definition, event, execution)
        return execution, output

    def _run(self, machine: Mapping[str, Any], data: Any, execution: Execution) -> Any:
        name = machine["StartAt"]
        while True:
            state = machine["States"][name]
            execution.visited.append(name)
            context = {"State": {"EnteredTime": ENTERED_TIME, "Name": name}}
            kind = state["Type"]
            if kind == "Succeed":
                execution.status = "SUCCEEDED"
                return data
            if kind == "Fail":
                execution.status = "FAILED"
                return data
            if kind == "Choice":
                name = choose(state, data)
                continue
            try:
                data = self._step(state, data, context, execution)
            except Exception as error:  # a task failure goes where the state's Catch says
                catcher = next(
                    (
                        c
                        for c in state.get("Catch", [])
                        if "States.ALL" in c["ErrorEquals"] or type(error).__name__ in c["ErrorEquals"]
                    ),
                    None,
                )
                failure = {"Error": type(error).__name__, "Cause": str(error)}
                execution.error = failure
                if catcher is None:
                    execution.status = "FAILED"
                    return data
                data = write_path(data, catcher.get("ResultPath", "$"), failure)
                name = catcher["Next"]
                continue
            if state.get("End"):
                execution.status = "SUCCEEDED"
                return data
            name = state["Next"]

    def _step(
        self, state: Mapping[str, Any], data: Any, context: Mapping[str, Any], execution: Execution
    ) -> Any:
        effective = read_path(state["InputPath"], data, context) if state.get("InputPath") else data
        if "Parameters" in state:
            effective = build_parameters(state["Parameters"], effective, context)
        kind = state["Type"]
        if kind == "Pass":
            result = effective
        elif kind == "Task":
            resource = state["Resource"]
            if ":states:::" in resource:
                result = self.run_integration(resource.rpartition(":states:::")[2], effective)
            else:
                execution.lambda_payloads.append((resource, effective))
                result = self.run_lambda(resource, effective)
            if "ResultSelector" in state:
                result = build_parameters(state["ResultSelector"], result, context)
        elif kind == "Map":
            items = read_path(state.get("ItemsPath", "$"), effective, context)
            processor = state.get("ItemProcessor") or state["Iterator"]
            result = []
            for item in items:
                branch = Execution()
                output = self._run(processor, item, branch)
                execution.lambda_payloads.extend(branch.lambda_payloads)
                if branch.status != "SUCCEEDED":
                    raise RuntimeError(f"map iteration failed: {branch.error}")
                result.append(output)
        else:
            raise AssertionError(f"state type {kind} is not supported here")
        return write_path(data, state.get("ResultPath", "$"), result)
