#!/usr/bin/env python3
"""CDK entry point: deployment settings from context, the Lambda asset, then the two stacks."""

from __future__ import annotations

import os

# The CLI reports Node's support window itself; jsii's banner would only repeat it on every synth.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")

import aws_cdk as cdk

from stacks.application import build_application
from stacks.config import DeploymentConfig

app = cdk.App()
config = DeploymentConfig.from_context(app.node.try_get_context)
build_application(app, config)
app.synth()
