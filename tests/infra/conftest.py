"""One synthesis per test session: every infra test asserts on these templates."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

import aws_cdk as cdk
from aws_cdk.assertions import Template

from stacks.application import build_application
from stacks.config import DeploymentConfig

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


def synthesize(config: DeploymentConfig, outdir: Path) -> Synthesized:
    app = cdk.App(outdir=str(outdir))
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


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    config = DeploymentConfig(
        stage="dev", account=ACCOUNT, region=REGION, cors_allowed_origins=("https://chat.example.com",)
    )
    return synthesize(config, tmp_path_factory.mktemp("cdk-dev"))
