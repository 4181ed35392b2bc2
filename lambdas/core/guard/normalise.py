"""Undo the disguises attackers put on text, so each layer judges what it says.

`views` returns the text as it reads after each common disguise is undone: Unicode
look-alikes and invisible characters (NFKC, confusables, format characters), letters spaced
apart, leetspeak, rot13, reversal, and base64/hex spans decoded. `display_safe` is for text
shown to people (titles, answers): it drops the characters that reorder or hide text.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from collections.abc import Iterator

# Embeddings, overrides and isolates: they reorder the text that follows (a right-to-left
# override shows "exe.pdf" as "fdp.exe"). The plain direction marks (LRM, RLM, ALM) only nudge
# neutral characters, and right-to-left writing needs them, so they stay.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TAG_CHARACTER = re.compile("[\U000e0000-\U000e007f]")
_HIDDEN = re.compile("[\U000e0000-\U000e007f" + "".join(BIDI_CONTROLS) + "]")
# Cyrillic and Greek letters that look like Latin ones (Unicode confusables that NFKC keeps).
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁһԛԝаАВЕКМНОРСТХІЈЅκνοαεριτυΑΒΕΗΙΚΜΝΟΡΤΧΥΖ",
    "aeopcyxijsdhqwaABEKMHOPCTXIJSkvoaepituABEHIKMNOPTXYZ",
)
_LEET = str.maketrans("013457@$!|", "oieatsasil")
_LEET_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*[013457@$!|])[\w@$!|]+\b", re.IGNORECASE)
_LEET_HINT = re.compile(r"[a-z][013457@$!|]|[013457@$!|][a-z]", re.IGNORECASE)
_SPACED = re.compile(r"\b(?:\w[ .\-_*]){3,}\w\b")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}[\s:]?){12,}")


def has_tag_characters(text: str) -> bool:
    """Unicode tag characters mirror ASCII invisibly ("ASCII smuggling"): never in normal text."""
    return _TAG_CHARACTER.search(text) is not None


def display_safe(text: str) -> str:
    """Text without bidi controls or tag characters: safe to show as a title or an answer."""
    return _HIDDEN.sub("", text)


def unmask(text: str) -> str:
    """NFKC (fullwidth and styled letters), invisible characters dropped, look-alikes folded to
    Latin. Tag characters are read as the ASCII they mirror."""
    if text.isascii():
        return text  # nothing to fold: no look-alikes, format or compatibility characters
    revealed = _TAG_CHARACTER.sub(lambda m: chr(ord(m.group(0)) - 0xE0000), text)
    folded = unicodedata.normalize("NFKC", revealed)
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return visible.translate(_HOMOGLYPHS)


def views(text: str, *, whole_text_ciphers: bool = True) -> Iterator[tuple[str, str]]:
    """(disguise, text) pairs: the unmasked text first (disguise ''), then each decoding that
    changes it. Every view is worth judging: benign text decodes to nonsense. Without
    `whole_text_ciphers`, the rot13 and reversed readings of the whole text are left out."""
    plain = unmask(text)
    yield ("unicode" if plain != text else ""), plain
    seen = {plain}
    for disguise, decoded in _decodings(plain, whole_text_ciphers):
        if decoded and decoded not in seen:
            seen.add(decoded)
            yield disguise, decoded


def _decodings(plain: str, whole_text_ciphers: bool) -> Iterator[tuple[str, str]]:
    yield "spacing", _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), plain)
    if _LEET_HINT.search(plain):
        yield "leetspeak", _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), plain)
    if whole_text_ciphers:
        yield "rot13", codecs.decode(plain, "rot13")
        yield "reversed", plain[::-1]
    for run in _BASE64_RUN.findall(plain):
        yield "base64", _printable(_b64(run))
    for run in _HEX_RUN.findall(plain):
        yield "hex", _printable(_hex(run))


def _b64(run: str) -> bytes:
    try:
        return base64.b64decode(run + "=" * (-len(run) % 4), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _hex(run: str) -> bytes:
    try:
        return bytes.fromhex(re.sub(r"[\s:]", "", run))
    except ValueError:
        return b""


def _printable(raw: bytes) -> str:
    """Decoded bytes as text when they are mostly readable, else ''."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    readable = sum(c.isprintable() or c.isspace() for c in text)
    return text if text and readable / len(text) > 0.9 else ""
