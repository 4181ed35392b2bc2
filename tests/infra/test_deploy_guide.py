"""The deploy guide promises only what the stacks and the page do."""

from __future__ import annotations

import re
import subprocess

from tools.build_lambda_asset import REPO_ROOT

GUIDE = (REPO_ROOT / "docs" / "deploy.md").read_text()


def _settings_row(key: str) -> str:
    (row,) = re.findall(rf"^\| `{key}` \|.*$", GUIDE, flags=re.MULTILINE)
    return row


def test_changing_the_embedding_dimension_asks_for_a_new_index_name() -> None:
    row = _settings_row("embeddingDimensions")
    assert "`opensearchIndex`" in row
    assert "`s3vectorsIndex`" in row


def test_guide_says_the_page_has_no_mfa_enrolment_screen() -> None:
    assert "Users can add a TOTP authenticator" not in GUIDE
    assert "no enrolment screen" in GUIDE


def test_guide_shows_the_cli_calls_that_enrol_a_totp_authenticator() -> None:
    for command in ("associate-software-token", "verify-software-token", "set-user-mfa-preference"):
        assert f"aws cognito-idp {command}" in GUIDE


def test_make_doctor_passes_the_guides_arguments_to_the_preflight() -> None:
    dry_run = subprocess.run(
        ["make", "--dry-run", "doctor", "ARGS=--invoke -c region=eu-central-1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "make doctor ARGS=--invoke" in GUIDE
    assert "-m tools.doctor --invoke -c region=eu-central-1" in dry_run.stdout


def test_every_context_key_has_a_row_in_the_settings_table() -> None:
    from stacks.config import context_keys

    assert [key for key in context_keys() if not re.search(rf"^\| `{key}` \|", GUIDE, re.MULTILINE)] == []
