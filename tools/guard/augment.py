"""Pseudo-translated copies of English training attacks, made with the guard's lexicon.

Nearly every labelled attack is English while much of the benign text is not, so without help
the classifier learns that another language means "benign". A copy of an English attack with
each lexicon word replaced by one of its forms in another language ("ignore all previous
instructions" -> "ignor todas vorherig anweisung") teaches the character n-grams of those forms
as parts of attacks. The copies mix languages and are crude; they only add training examples,
never measure anything.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from lambdas.core.guard.lexicon import LEXICON
from tools.guard.examples import Example

SEED = 21
_ENGLISH = re.compile(
    r"\b(" + "|".join(re.escape(key) for key in sorted(LEXICON, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_MIN_REPLACED = 2


def pseudo_translated(examples: list[Example], copies: int = 1) -> list[Example]:
    """`copies` translated copies of each English attack with at least two lexicon words."""
    rng = random.Random(SEED)  # noqa: S311 - a reproducible choice of forms, not a secret
    translated = []
    for example in examples:
        if not example.attack or example.lang != "en" or len(_ENGLISH.findall(example.text)) < _MIN_REPLACED:
            continue
        for _ in range(copies):
            text = _ENGLISH.sub(lambda m: rng.choice(LEXICON[m.group(1).lower()]).rstrip("*"), example.text)
            translated.append(
                replace(example, text=text, source=example.source + ":translated", lang="mixed")
            )
    return translated
