"""One labelled text of the guard's data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    attack: bool
    source: str
    lang: str = "en"
    kind: str = "message"
    """`message` for a user turn, `passage` for retrieved or tool text (indirect injection)."""
