"""The AWS Solutions checks run on every synthesis and fail it on any unacknowledged finding."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from stacks.application import add_compliance_checks
from tests.infra.conftest import Synthesized


def test_application_synthesizes_with_no_unacknowledged_aws_solutions_finding(dev: Synthesized) -> None:
    # The fixture's synthesis raises on any finding, so reaching here means zero.
    assert (dev.directory / "manifest.json").exists()


def test_every_acknowledged_finding_carries_a_specific_reason(dev: Synthesized) -> None:
    reasons = _acknowledgment_reasons(dev)
    assert reasons, "expected the known, justified acknowledgments to be recorded"
    vague = {where: reason for where, reason in reasons.items() if len(reason) < 40}
    assert vague == {}


def test_compliance_checks_reject_an_unacknowledged_finding(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    add_compliance_checks(app)
    stack = cdk.Stack(app, "Noncompliant", env=cdk.Environment(account="123456789012", region="us-east-1"))
    s3.Bucket(stack, "PlainBucket")
    with pytest.raises(Exception, match="AwsSolutions-S"):
        app.synth()


def _acknowledgment_reasons(synthesized: Synthesized) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for metadata_file in synthesized.directory.glob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry.get("type") == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                    reasons.update({f"{path} {rule}": reason for rule, reason in entry["data"].items()})
    return reasons
