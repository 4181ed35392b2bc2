"""cfn-lint finds no error in any synthesized template, for either deployment profile."""

from __future__ import annotations

import pytest
from cfnlint.api import lint_file

from tests.infra.conftest import Synthesized


@pytest.mark.parametrize("profile", ["dev", "prod"])
def test_synthesized_templates_have_no_cfn_lint_errors(profile: str, request: pytest.FixtureRequest) -> None:
    synthesized: Synthesized = request.getfixturevalue(profile)
    templates = sorted(synthesized.directory.glob("*.template.json"))
    assert len(templates) == 2
    errors = [
        f"{template.name}: {match.rule.id} {match.message}"
        for template in templates
        for match in lint_file(template)
        if match.rule.id.startswith("E")
    ]
    assert errors == []
