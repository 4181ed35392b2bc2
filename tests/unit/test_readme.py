"""The README's configuration table stays in step with the settings the code reads."""

import re
from pathlib import Path

from lambdas.settings import Settings

README = Path(__file__).parents[2] / "README.md"


def _documented_variables() -> set[str]:
    section = README.read_text(encoding="utf-8").split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section))


def test_every_setting_is_documented_in_the_readme():
    missing = {name.upper() for name in Settings.model_fields} - _documented_variables()
    assert not missing, f"add these to README.md's configuration table: {sorted(missing)}"
