"""cfn-lint finds no error in any synthesized template."""

from __future__ import annotations

from cfnlint.api import lint_file

from tests.infra.conftest import Synthesized


def test_synthesized_templates_have_no_cfn_lint_errors(dev: Synthesized) -> None:
    templates = sorted(dev.directory.glob("*.template.json"))
    assert len(templates) == 2
    errors = [
        f"{template.name}: {match.rule.id} {match.message}"
        for template in templates
        for match in lint_file(template)
        if match.rule.id.startswith("E")
    ]
    assert errors == []
