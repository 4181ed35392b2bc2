"""Composes the application: the stateful stack, then the stateless stack that uses it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.app_stack import AppStack
from stacks.config import DeploymentConfig
from stacks.constructs.functions import PYTHON_VERSION
from stacks.constructs.monitoring import DEPLOYMENT_TAG
from stacks.data_stack import DataStack
from tools.build_lambda_asset import REPO_ROOT, build_asset


@dataclass(frozen=True, slots=True)
class Application:
    data: DataStack
    app: AppStack


def build_application(app: cdk.App, config: DeploymentConfig, *, code_dir: Path | None = None) -> Application:
    """Add both stacks to `app`, with the AWS Solutions checks failing synthesis on any finding."""
    add_compliance_checks(app)
    code_dir = code_dir or build_asset(architecture=config.lambda_architecture, python_version=PYTHON_VERSION)
    env = cdk.Environment(account=config.account, region=config.region)
    prefix = f"{_pascal(config.app_name)}-{config.stage}"
    data = DataStack(
        app,
        f"{prefix}-data",
        config=config,
        code_dir=code_dir,
        env=env,
        description="Chat + RAG: stateful resources",
    )
    application = AppStack(
        app,
        f"{prefix}-app",
        config=config,
        data=data,
        code_dir=code_dir,
        site_dir=REPO_ROOT / "frontend",
        env=env,
        description="Chat + RAG: functions, APIs, workflows, web hosting",
    )
    for stack in (data, application):
        cdk.Tags.of(stack).add("application", config.app_name)
        cdk.Tags.of(stack).add("stage", config.stage)
        # One value per deployment: the monthly budget filters costs on it.
        cdk.Tags.of(stack).add(DEPLOYMENT_TAG, config.deployment_name)
        for key, value in config.extra_tags.items():
            cdk.Tags.of(stack).add(key, value)
    return Application(data=data, app=application)


def add_compliance_checks(app: cdk.App) -> None:
    """cdk-nag's AWS Solutions rules: any finding not acknowledged with a reason fails synthesis."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
