"""Synthesis of the application and helpers to read its templates.

The session fixtures (`dev`, `prod`, ...: one synthesis per deployment profile per test session)
live in `tests/conftest.py`, shared by the infra and contract tests.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.application import build_application
from stacks.config import DeploymentConfig
from tools.build_lambda_asset import REPO_ROOT

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class Synthesized:
    config: DeploymentConfig
    directory: Path
    data: Template
    app: Template
    data_json: dict[str, object]
    app_json: dict[str, object]


def feature_flags() -> dict[str, Any]:
    """cdk.json's feature flags, which the CLI passes to `app.py` and tests must pass too."""
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return {key: value for key, value in context.items() if key.startswith("@")}


def synthesize(config: DeploymentConfig, outdir: Path) -> Synthesized:
    app = cdk.App(outdir=str(outdir), context=feature_flags())
    application = build_application(app, config)
    assembly = app.synth()
    data_json = assembly.get_stack_by_name(application.data.stack_name).template
    app_json = assembly.get_stack_by_name(application.app.stack_name).template
    return Synthesized(
        config=config,
        directory=Path(assembly.directory),
        data=Template.from_json(data_json),
        app=Template.from_json(app_json),
        data_json=data_json,
        app_json=app_json,
    )


def resources_of(template: dict[str, object], resource_type: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of one CloudFormation type."""
    resources = template["Resources"]
    assert isinstance(resources, dict)
    return {name: res for name, res in resources.items() if res["Type"] == resource_type}


def policy_statements(template: dict[str, object]) -> list[tuple[str, dict[str, Any]]]:
    """(policy logical id, statement) for every identity-based IAM policy statement."""
    return [
        (name, statement)
        for name, policy in resources_of(template, "AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def state_machine_definition(
    template: dict[str, object], id_prefix: str, resolve: Callable[[dict[str, Any]], str] = json.dumps
) -> dict[str, Any]:
    """The ASL of the state machine whose logical id starts with `id_prefix`.

    CloudFormation intrinsics inside the definition (function ARNs, table names, partition) are
    replaced by `resolve(intrinsic)`; by default their JSON text, enough to inspect the shape.
    """
    (machine,) = [
        res
        for name, res in resources_of(template, "AWS::StepFunctions::StateMachine").items()
        if name.startswith(id_prefix)
    ]
    definition = machine["Properties"]["DefinitionString"]
    if isinstance(definition, dict):
        separator, parts = definition["Fn::Join"]
        definition = separator.join(
            part if isinstance(part, str) else _escaped(resolve(part)) for part in parts
        )
    parsed: dict[str, Any] = json.loads(definition)
    return parsed


def _escaped(text: str) -> str:
    """`text` as it must appear inside a JSON string literal."""
    return json.dumps(text)[1:-1]
