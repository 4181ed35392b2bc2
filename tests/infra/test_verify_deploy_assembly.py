"""The emulated deploy's stripped templates stay deployable: no reference points at a removed resource.

The emulator deploys the S3 Vectors variant (it has no OpenSearch Serverless), as the prod profile is.
"""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synthesized, as_list
from tools.verify_deploy.assembly import Environment, strip_template

SUPPLIED = {
    "AWS::Bedrock::Guardrail": {
        "GuardrailId": "gr",
        "GuardrailArn": "arn:aws:bedrock:us-east-1:1:guardrail/gr",
    },
    "AWS::Bedrock::GuardrailVersion": {"Version": "1"},
}


def _references(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(_references, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    if isinstance(node.get("Ref"), str):
        found.add(node["Ref"])
    getatt = node.get("Fn::GetAtt")
    if getatt is not None:
        found.add(getatt[0] if isinstance(getatt, list) else str(getatt).split(".")[0])
    return found.union(*map(_references, node.values()))


def test_stripped_templates_refer_only_to_resources_they_keep(prod: Synthesized) -> None:
    for template in (prod.data_json, prod.app_json):
        stripped, _ = strip_template(template, Environment("000000000000", "us-east-1", SUPPLIED))
        known = set(stripped["Resources"]) | set(stripped.get("Parameters", {}))
        dangling = {ref for ref in _references(stripped) if not ref.startswith("AWS::")} - known
        depends = {
            name
            for resource in stripped["Resources"].values()
            for name in as_list(resource.get("DependsOn", []))
        }
        assert dangling == set()
        assert depends <= set(stripped["Resources"])


# Written out here, independently of the stripping code: a type added to it shows up as a failure.
MAY_BE_REMOVED = {
    "AWS::Bedrock::Guardrail",
    "AWS::Bedrock::GuardrailVersion",
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::InsightRule",
    "AWS::S3Vectors::VectorBucket",
    "AWS::S3Vectors::Index",
    "AWS::WAFv2::WebACLAssociation",
    "Custom::CDKBucketDeployment",
}


def test_stripping_keeps_every_resource_of_other_types(prod: Synthesized) -> None:
    for template in (prod.data_json, prod.app_json):
        stripped, _ = strip_template(template, Environment("000000000000", "us-east-1", SUPPLIED))
        resources: dict[str, dict[str, Any]] = template["Resources"]  # type: ignore[assignment]
        removed_types = {resources[lid]["Type"] for lid in set(resources) - set(stripped["Resources"])}
        assert removed_types <= MAY_BE_REMOVED
        kept_alarms = [r for r in stripped["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
        assert all("Metrics" not in alarm["Properties"] for alarm in kept_alarms)
