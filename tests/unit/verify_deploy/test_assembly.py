"""The emulator's copy of the assembly loses only the resource types it cannot create."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tools.verify_deploy.assembly import (
    METRIC_MATH_ALARM,
    Environment,
    retarget_code_asset,
    strip_assembly,
    strip_template,
)

GUARDRAIL = {
    "GuardrailId": "gr-123",
    "GuardrailArn": "arn:aws:bedrock:us-east-1:000000000000:guardrail/gr-123",
}
ENV = Environment("000000000000", "us-east-1", {"AWS::Bedrock::Guardrail": GUARDRAIL})


def template() -> dict[str, Any]:
    return {
        "Resources": {
            "Guardrail": {"Type": "AWS::Bedrock::Guardrail", "Properties": {"Name": "g"}},
            "Function": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["Guardrail", "Role"],
                "Properties": {
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Environment": {
                        "Variables": {"GUARDRAIL_ID": {"Fn::GetAtt": ["Guardrail", "GuardrailId"]}}
                    },
                },
            },
            "Role": {"Type": "AWS::IAM::Role", "DependsOn": "Guardrail", "Properties": {}},
            "PlainAlarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors"}},
            "MathAlarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {"Metrics": [{"Expression": "m0"}]},
            },
            "VectorBucket": {"Type": "AWS::S3Vectors::VectorBucket", "Properties": {}},
            "VectorIndex": {
                "Type": "AWS::S3Vectors::Index",
                "Properties": {
                    "IndexName": "chunks",
                    "VectorBucketArn": {"Fn::GetAtt": ["VectorBucket", "VectorBucketArn"]},
                },
            },
        },
        "Outputs": {"IndexArn": {"Value": {"Fn::GetAtt": ["VectorIndex", "IndexArn"]}}},
    }


def test_only_uncreatable_types_are_removed_and_listed() -> None:
    stripped, kinds = strip_template(template(), ENV)

    assert sorted(stripped["Resources"]) == ["Function", "PlainAlarm", "Role"]
    assert kinds == {
        "AWS::Bedrock::Guardrail",
        METRIC_MATH_ALARM,
        "AWS::S3Vectors::VectorBucket",
        "AWS::S3Vectors::Index",
    }


def test_kept_resources_keep_their_properties_with_references_to_removed_ones_as_literals() -> None:
    stripped, _ = strip_template(template(), ENV)

    function = stripped["Resources"]["Function"]
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["Role", "Arn"]}
    assert function["Properties"]["Environment"]["Variables"]["GUARDRAIL_ID"] == "gr-123"
    assert stripped["Outputs"]["IndexArn"]["Value"] == (
        "arn:aws:s3vectors:us-east-1:000000000000:bucket/vectorbucket-000000000000/index/chunks"
    )


def test_depends_on_a_removed_resource_is_dropped() -> None:
    stripped, _ = strip_template(template(), ENV)

    assert stripped["Resources"]["Function"]["DependsOn"] == ["Role"]
    assert "DependsOn" not in stripped["Resources"]["Role"]


def test_the_source_template_is_left_untouched() -> None:
    source = template()
    before = copy.deepcopy(source)

    strip_template(source, ENV)

    assert source == before


def test_a_reference_with_no_known_literal_fails_loudly() -> None:
    unsupplied = Environment("000000000000", "us-east-1")

    with pytest.raises(KeyError, match="GuardrailId of Guardrail"):
        strip_template(template(), unsupplied)


def test_assembly_copy_rewrites_stack_templates_and_never_the_source(tmp_path: Path) -> None:
    source = tmp_path / "cdk.out"
    source.mkdir()
    (source / "Stack.template.json").write_text(json.dumps(template()))
    (source / "asset.zip").write_bytes(b"code")
    manifest = {
        "artifacts": {
            "Stack": {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": "Stack.template.json"},
            }
        }
    }
    (source / "manifest.json").write_text(json.dumps(manifest))

    skipped = strip_assembly(source, tmp_path / "deployed", ENV)

    assert "AWS::Bedrock::Guardrail" in skipped
    assert "Guardrail" in json.loads((source / "Stack.template.json").read_text())["Resources"]
    assert (
        "Guardrail"
        not in json.loads((tmp_path / "deployed" / "Stack.template.json").read_text())["Resources"]
    )
    assert (tmp_path / "deployed" / "asset.zip").read_bytes() == b"code"


def test_the_code_asset_gets_wheels_for_the_emulators_python_and_the_synthesized_one_is_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_asset = tmp_path / "cdk.out" / "asset.abc"
    (source_asset / "lambdas").mkdir(parents=True)
    (source_asset / "lambdas" / "handler.py").write_text("code")
    (source_asset / "selectolax").mkdir()
    (source_asset / "selectolax" / "lexbor.cpython-314.so").write_text("for 3.14")
    (tmp_path / "cdk.out" / "manifest.json").write_text(json.dumps({"artifacts": {}}))
    host_wheels = tmp_path / "deps"
    (host_wheels / "selectolax").mkdir(parents=True)
    (host_wheels / "selectolax" / "lexbor.cpython-311.so").write_text("for 3.11")
    resolved: list[tuple[str, str]] = []

    def vendored_dependencies(
        requirements: list[str], architecture: str, python_version: str, deps_dir: Path
    ) -> Path:
        resolved.append((architecture, python_version))
        return host_wheels

    monkeypatch.setattr("tools.build_lambda_asset.vendored_dependencies", vendored_dependencies)
    deployed = tmp_path / "deployed"
    strip_assembly(tmp_path / "cdk.out", deployed, ENV)

    retarget_code_asset(deployed, "3.11", "x86_64")

    assert resolved == [("x86_64", "3.11")]
    assert sorted(p.name for p in (deployed / "asset.abc" / "selectolax").iterdir()) == [
        "lexbor.cpython-311.so"
    ]
    assert (deployed / "asset.abc" / "lambdas" / "handler.py").read_text() == "code"
    assert (source_asset / "selectolax" / "lexbor.cpython-314.so").read_text() == "for 3.14"
