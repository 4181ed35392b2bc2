"""A copy of the cloud assembly without the resource types the emulator cannot create.

Only whole resources of the types in `UNCREATABLE` are removed, from a copy; every other resource
keeps its exact synthesized properties. A `Ref` or `Fn::GetAtt` to a removed resource becomes the
literal that resource would have returned (an id, a name or an ARN built the way AWS builds it, or
a value supplied by the emulator, such as a guardrail created through its control plane), and
`DependsOn` entries naming a removed resource are dropped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Template = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Environment:
    account: str
    region: str
    # Attribute values supplied from outside the template, e.g. {"AWS::Bedrock::Guardrail": {"GuardrailId": ...}}.
    supplied: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def _arn(env: Environment, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{env.region}:{env.account}:{resource}"


def _metric_math_alarm(resource: Template) -> bool:
    return resource["Type"] == "AWS::CloudWatch::Alarm" and "Metrics" in resource.get("Properties", {})


# Resource type -> why the emulator cannot create it. Prefix entries end with "::".
UNCREATABLE: Mapping[str, str] = {
    "AWS::Bedrock::Guardrail": "no CloudFormation provisioner (created through the Bedrock API instead)",
    "AWS::Bedrock::GuardrailVersion": "no CloudFormation provisioner",
    "AWS::OpenSearchServerless::": "no OpenSearch Serverless data plane (the s3vectors variant is deployed)",
    "AWS::S3Vectors::": "no S3 Vectors service (a stand-in in the emulator serves the data plane)",
    "AWS::WAFv2::WebACLAssociation": "no WAF association provisioner",
    "AWS::CloudWatch::InsightRule": "no Contributor Insights provisioner",
    "Custom::CDKBucketDeployment": "its AWS CLI layer is not mounted at /opt by the emulator",
}
METRIC_MATH_ALARM = "AWS::CloudWatch::Alarm (metric math)"


def uncreatable_kind(resource: Template) -> str | None:
    """The `skipped_resource_types` entry for `resource`, or None if the emulator can create it."""
    kind: str = resource["Type"]
    if _metric_math_alarm(resource):
        return METRIC_MATH_ALARM
    for prefix in UNCREATABLE:
        if kind == prefix or (prefix.endswith("::") and kind.startswith(prefix)):
            return kind
    return None


def literal(env: Environment, logical_id: str, resource: Template, attribute: str | None) -> Any:
    """What CloudFormation would return for `Ref` (attribute None) or `Fn::GetAtt` of a removed resource."""
    kind = resource["Type"]
    props = resource.get("Properties", {})
    supplied = env.supplied.get(kind, {})
    key = attribute or "Ref"
    if key in supplied:
        return supplied[key]
    builders: dict[str, Callable[[], Any]] = {
        "AWS::S3Vectors::VectorBucket": lambda: _arn(
            env, "s3vectors", f"bucket/{props.get('VectorBucketName', _physical_name(env, logical_id))}"
        ),
        "AWS::S3Vectors::Index": lambda: f"{_vector_bucket_arn(env, props)}/index/{props['IndexName']}",
        "AWS::CloudWatch::Alarm": lambda: _arn(env, "cloudwatch", f"alarm:{logical_id}"),
    }
    if kind in builders:
        return builders[kind]()
    raise KeyError(f"no literal for {key} of {logical_id} ({kind}); supply one")


def _physical_name(env: Environment, logical_id: str) -> str:
    return f"{logical_id.lower()}-{env.account}"


def _vector_bucket_arn(env: Environment, props: Template) -> str:
    bucket = props.get("VectorBucketArn")
    if isinstance(bucket, str):
        return bucket
    return _arn(env, "s3vectors", f"bucket/{props.get('VectorBucketName', 'vectors')}")


def strip_template(template: Template, env: Environment) -> tuple[Template, set[str]]:
    """Return (template without uncreatable resources, the `skipped_resource_types` it contributed)."""
    resources: dict[str, Template] = template["Resources"]
    removed = {lid: res for lid, res in resources.items() if uncreatable_kind(res)}
    kinds = {kind for res in removed.values() if (kind := uncreatable_kind(res))}
    # Removed resources may refer to each other (an index to its bucket): resolve those first.
    resolved_removed = {lid: _replace_refs(res, removed, env) for lid, res in removed.items()}

    def substitute(node: Any) -> Any:
        return _replace_refs(node, resolved_removed, env)

    kept: dict[str, Template] = {}
    for logical_id, resource in resources.items():
        if logical_id in removed:
            continue
        copied = substitute(resource)
        depends = copied.get("DependsOn")
        if depends is not None:
            names = [depends] if isinstance(depends, str) else depends
            remaining = [name for name in names if name not in removed]
            if remaining:
                copied["DependsOn"] = remaining
            else:
                del copied["DependsOn"]
        kept[logical_id] = copied
    stripped = {**template, "Resources": kept}
    if "Outputs" in template:
        stripped["Outputs"] = substitute(template["Outputs"])
    return stripped, kinds


def _replace_refs(node: Any, removed: Mapping[str, Template], env: Environment) -> Any:
    if isinstance(node, list):
        return [_replace_refs(item, removed, env) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        target = node.get("Ref")
        if isinstance(target, str) and target in removed:
            return literal(env, target, removed[target], None)
        getatt = node.get("Fn::GetAtt")
        if getatt is not None:
            logical_id, attribute = getatt if isinstance(getatt, list) else str(getatt).split(".", 1)
            if logical_id in removed:
                return literal(env, logical_id, removed[logical_id], attribute)
    return {key: _replace_refs(value, removed, env) for key, value in node.items()}


def strip_assembly(source: Path, target: Path, env: Environment) -> list[str]:
    """Copy the cloud assembly at `source` to `target`, stripping every stack template there.

    Returns the sorted `skipped_resource_types`. Asset files are linked, not copied.
    """
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=_link_or_copy)
    manifest = json.loads((source / "manifest.json").read_text())
    skipped: set[str] = set()
    for artifact in manifest["artifacts"].values():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        path = target / artifact["properties"]["templateFile"]
        stripped, kinds = strip_template(json.loads(path.read_text()), env)
        path.unlink()  # a hard link to the source: never write through it
        path.write_text(json.dumps(stripped, indent=1))
        skipped |= kinds
    return sorted(skipped)


def retarget_code_asset(assembly_dir: Path, python_version: str, architecture: str) -> None:
    """Re-vendor the code asset's wheels for the interpreter the emulator runs functions on.

    The app vendors wheels for the Lambda runtime's Python; a compiled one (selectolax, rpds-py)
    cannot load in another version. The asset keeps its `lambdas/` package; only the vendored
    libraries are swapped for the same pinned versions built for `python_version`.
    """
    from tools.build_lambda_asset import BUILD_DIR, vendored_dependencies, vendored_requirements

    deps = vendored_dependencies(vendored_requirements(), architecture, python_version, BUILD_DIR / "deps")
    for asset in (path.parent for path in assembly_dir.glob("asset.*/lambdas") if path.is_dir()):
        for entry in asset.iterdir():
            if entry.name == "lambdas":
                continue
            # Entries are hard links to the synthesized assembly: unlink, never write through them.
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(deps, asset, dirs_exist_ok=True, copy_function=_link_or_copy)


def _link_or_copy(source: str, target: str) -> None:
    try:
        Path(target).hardlink_to(source)
    except OSError:
        shutil.copy2(source, target)
