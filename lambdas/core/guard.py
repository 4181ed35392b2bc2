"""Prompt-injection defence: an input guard, a passage sanitiser and a system-prompt leak check.

The input guard looks for instructions aimed at the model, not for words: "ignore all previous
instructions" starting a sentence is an attack, while a question that quotes or discusses the
phrase ("what does 'ignore previous instructions' do?") is not. Text is also scanned after
undoing common disguises (Unicode look-alikes and invisible characters, base64, hex, rot13,
leetspeak), so an encoded attack is judged by what it says once decoded.

These are heuristics: they stop the known, cheap attacks and make the rest more expensive.
The delimited prompt, the output check and (in the cloud) Bedrock Guardrails are the other layers.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from lambdas.core.models import Passage

INPUT_REFUSAL = (
    "I can't help with that request: it reads as an attempt to change my instructions or to "
    "reveal how I am configured. If you meant something else, please rephrase your question."
)
OUTPUT_REFUSAL = (
    "I can't share that answer because it would disclose my configuration. "
    "Please ask about your documents instead."
)
REDACTED_INSTRUCTION = "[instruction-like text removed]"

# A clause opener: where an imperative aimed at the model starts. Embedded uses ("how do
# attackers get a model to ignore previous instructions?") do not match.
_OPENER = (
    r"(?:^|[.!?:;,\n\-—(]\s*|\b(?:please|now|first|then|and|so|ok(?:ay)?|just|kindly|also|simply)\s+"
    r"|\byou\s+(?:must|should|will|shall|need\s+to|have\s+to|can|are\s+to)\s+"
    r"|\bi\s+(?:want|need|command|order|instruct)\s+you\s+to\s+)"
)
_RULES = (
    r"(?:instructions?|rules?|guidelines?|directions?|directives?|prompts?|constraints?|polic(?:y|ies)"
    r"|guardrails?|restrictions?|programming|training|safety|filters?|commands?|context)"
)
_EARLIER = (
    r"(?:previous|prior|above|earlier|preceding|initial|original|all|any|every|your|the|these|those|system)"
)

_PATTERNS: dict[str, Sequence[str]] = {
    "instruction_override": (
        _OPENER + r"(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|discard)\b[^.!?\n]{0,40}?"
        r"\b" + _EARLIER + r"\b[^.!?\n]{0,30}?\b" + _RULES + r"\b",
        r"\b(?:new|updated|real|actual|revised)\s+(?:system\s+)?(?:instructions?|rules|directives?)\s*:",
        r"\bfrom\s+now\s+on,?\s+you\s+(?:will|are|must|shall|have\s+to|answer|respond|reply|obey)\b",
        r"\byour\s+(?:new|real|true|only)\s+(?:task|role|purpose|goal|objective|instructions?)\s+(?:is|are)\b",
        r"\b(?:do\s+not|don't|never)\s+(?:follow|obey|apply)\s+(?:your|the|any)\s+(?:previous\s+|prior\s+)?"
        + _RULES,
    ),
    "role_play_jailbreak": (
        r"\b(?:you\s+are|you're|act\s+as|pretend\s+(?:to\s+be|you\s+are|that\s+you\s+are)|roleplay\s+as"
        r"|role-play\s+as|play\s+the\s+role\s+of|become|simulate|behave\s+like)\s+(?:now\s+)?(?:an?\s+)?"
        r"(?:dan\b|stan\b|dude\b|aim\b|evil|unrestricted|unfiltered|uncensored|jailbroken|amoral|rogue"
        r"|unaligned|unbound|ai\s+(?:without|with\s+no)\s+(?:rules|restrictions|limits|filters))",
        r"\bdo\s+anything\s+now\b",
        r"\b(?:developer|god|debug|admin|sudo|jailbreak|unrestricted)\s+mode\b[^.?\n]{0,30}"
        r"\b(?:enabled|activated|on|engaged)\b",
        r"\b(?:enable|activate|enter|switch\s+to|turn\s+on)\s+(?:developer|god|debug|admin|sudo|jailbreak"
        r"|unrestricted)\s+mode\b",
        r"\b(?:without|with\s+no|free\s+(?:of|from))\s+(?:any\s+)?(?:ethical|moral|safety|content)\s+"
        r"(?:guidelines|restrictions|limits|constraints|filters|rules)\b",
        r"\bstay\s+in\s+character\b",
        r"\b(?:no\s+longer|not)\s+bound\s+by\s+(?:any\s+)?(?:rules|guidelines|restrictions|polic(?:y|ies))",
        r"\bhypothetically,?\s+if\s+you\s+had\s+no\s+(?:rules|restrictions|guidelines|filters)\b",
    ),
    "system_prompt_extraction": (
        r"\b(?:reveal|show|print|repeat|output|display|tell\s+me|give\s+me|leak|dump|recite|write\s+out"
        r"|copy|paste|list|spell\s+out|translate|summari[sz]e|what\s+(?:is|are|was|were))\b[^.?\n]{0,30}?"
        r"\byour\s+(?:(?:full|complete|exact|entire|original|initial|hidden|secret|internal|system|"
        r"developer)\s+)+(?:prompt|instructions?|message|rules|guidelines|configuration|directives?)\b",
        r"\byour\s+(?:system\s+prompt|instructions)\s+verbatim\b",
        r"\b(?:repeat|print|output|copy|recite)\s+(?:all\s+|everything\s+|the\s+)?(?:text|words|"
        r"everything|the\s+prompt|all)\s+(?:above|before\s+this|preceding|prior\s+to)\b",
        r"\bwhat\s+(?:were\s+you|have\s+you\s+been)\s+(?:told|instructed|programmed)\b",
        r"\b(?:begin|start)\s+your\s+(?:reply|answer|response)\s+with\s+[\"']?(?:you\s+are|rules|my\s+instructions)",
        r"\bignore\s+the\s+question\s+and\s+(?:print|show|reveal)",
    ),
    "prompt_delimiter": (
        r"</?\s*(?:documents|system|instructions?|sys)\s*>",
        r"<\|?\s*im_(?:start|end)\s*\|?>",
        r"\[/?INST\]",
        r"(?:^|\n)\s*#{2,}\s*(?:system|instruction|new\s+instructions?)\b",
        r"(?:^|\n)\s*(?:system|assistant)\s*:\s*\S",
    ),
    "encoded_instruction": (
        r"\b(?:decode|decipher|translate|convert|unscramble|reverse)\b[^.\n]{0,60}?\b(?:and|then)\s+"
        r"(?:follow|execute|obey|do\s+what\s+it\s+says|run|carry\s+out|act\s+on|perform)\b",
    ),
}
# Per pattern, words one of which any match contains (lowercased): a substring test is far
# cheaper than a regex scan, so passages skip the patterns that cannot match them.
_ANCHORS: dict[str, Sequence[tuple[str, ...]]] = {
    "instruction_override": (
        ("ignore", "disregard", "forget", "override", "bypass", "skip", "drop", "abandon", "discard"),
        ("instruction", "rule", "directive"),
        ("now",),
        ("your",),
        ("not", "don't", "never"),
    ),
    "role_play_jailbreak": (
        (
            "dan",
            "stan",
            "dude",
            "aim",
            "evil",
            "unrestricted",
            "unfiltered",
            "uncensored",
            "jailbroken",
            "amoral",
            "rogue",
            "unaligned",
            "unbound",
            "ai",
        ),
        ("anything",),
        ("mode",),
        ("mode",),
        ("ethical", "moral", "safety", "content"),
        ("character",),
        ("bound",),
        ("hypothetically",),
    ),
    "system_prompt_extraction": (
        ("your",),
        ("verbatim",),
        ("above", "before", "preceding", "prior"),
        ("told", "instructed", "programmed"),
        ("reply", "answer", "response"),
        ("ignore",),
    ),
    "prompt_delimiter": (
        ("<",),
        ("im_",),
        ("inst]",),
        ("#",),
        ("system", "assistant"),
    ),
    "encoded_instruction": (("follow", "execute", "obey", "what", "run", "carry", "act", "perform"),),
}
_COMPILED: dict[str, tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]] = {
    category: tuple(
        (anchors, re.compile(pattern, re.IGNORECASE))
        for anchors, pattern in zip(_ANCHORS[category], patterns, strict=True)
    )
    for category, patterns in _PATTERNS.items()
}
_QUOTES = "\"'`“”‘’«»"  # noqa: RUF001 - typographic quotes are the point

# Characters that render as nothing or reorder text: used to hide instructions.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TAG_BLOCK = range(0xE0000, 0xE0080)
_HOMOGLYPHS = str.maketrans(
    # Cyrillic, then Greek letters that look like Latin ones.
    "аеорсухіјѕԁһАВЕКМНОРСТХІЈЅκνοαεΑΒΕΗΙΚΜΝΟΡΤΧΥΖ",
    "aeopcyxijsdhABEKMHOPCTXIJSkvoaeABEHIKMNOPTXYZ",
)
_LEET = str.maketrans("01345789@$!|", "oieastbgasil")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}[\s:]?){12,}")


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's judgement on one text. `category` names the attack family when blocked."""

    blocked: bool
    category: str = ""
    disguise: str = ""
    """How the attack was hidden when it only showed after decoding (base64, unicode, ...)."""

    @property
    def reason(self) -> str:
        """A machine-readable reason, e.g. `prompt_injection:instruction_override`."""
        if not self.blocked:
            return ""
        suffix = f"+{self.disguise}" if self.disguise else ""
        return f"prompt_injection:{self.category}{suffix}"


ALLOWED = Verdict(blocked=False)


def check_input(text: str) -> Verdict:
    """Judge a user message: blocked when it carries an instruction aimed at the model."""
    if any(c in _BIDI_CONTROLS or ord(c) in _TAG_BLOCK for c in text):
        hidden = _decode_tags(text)
        category = _first_attack(hidden) or "hidden_characters"
        return Verdict(blocked=True, category=category, disguise="unicode")
    plain = _first_attack(text)
    if plain:
        return Verdict(blocked=True, category=plain)
    for disguise, decoded in _decoded_variants(text):
        category = _first_attack(decoded)
        if category:
            return Verdict(blocked=True, category=category, disguise=disguise)
    return ALLOWED


def sanitise_passages(passages: Sequence[Passage]) -> tuple[tuple[Passage, ...], int]:
    """Passages with instruction-like spans replaced by a marker, and how many were changed.

    Retrieved text is data: an uploaded file saying "ignore previous instructions" must not
    steer the model (indirect injection). The rest of the passage is kept, so a document that
    merely discusses attacks still answers questions about them.
    """
    cleaned: list[Passage] = []
    changed = 0
    for passage in passages:
        text = _redact(passage.text)
        changed += text != passage.text
        cleaned.append(replace(passage, text=text) if text != passage.text else passage)
    return tuple(cleaned), changed


class LeakDetector:
    """Finds verbatim runs of the system prompt in an answer (case and spacing ignored)."""

    def __init__(self, system_prompt: str, *, window: int = 40) -> None:
        normalised = _squash(system_prompt)
        self.window = window
        self._fragments = frozenset(normalised[i : i + window] for i in range(len(normalised) - window + 1))

    def leaks(self, text: str) -> bool:
        normalised = _squash(text)
        return any(
            normalised[i : i + self.window] in self._fragments
            for i in range(len(normalised) - self.window + 1)
        )


class StreamingLeakFilter:
    """Passes streamed text on until it completes a verbatim run of the system prompt.

    Text is not held back (the answer streams at the model's pace), so at most `window - 1`
    characters of a run can reach the client before the run is recognised, too few to
    disclose the prompt; the delta that completes it is withheld and the stream stops.
    """

    def __init__(self, detector: LeakDetector) -> None:
        self._detector = detector
        self._text = ""
        self.leaked = False

    def feed(self, delta: str) -> str:
        """Add a delta; return it when safe to send, '' once a leak was found."""
        if self.leaked:
            return ""
        recent = self._text[-self._detector.window :] + delta
        if self._detector.leaks(recent):
            self.leaked = True
            return ""
        self._text += delta
        return delta


def _first_attack(text: str) -> str:
    lowered = text.lower()
    for category, patterns in _COMPILED.items():
        for anchors, pattern in patterns:
            if not _may_match(lowered, anchors):
                continue
            if any(not _quoted(text, match) for match in pattern.finditer(text)):
                return category
    return ""


def _may_match(lowered: str, anchors: tuple[str, ...]) -> bool:
    return any(anchor in lowered for anchor in anchors)


def _quoted(text: str, match: re.Match[str]) -> bool:
    """True when the match sits inside quotes: the user is talking about the phrase, not using it."""
    start, end = match.span()
    while start < end and not text[start].isalnum():
        start += 1
    before = text[max(0, start - 3) : start].rstrip()
    after = text[end : end + 3].lstrip()
    opened = bool(before) and before[-1] in _QUOTES
    closed = bool(after) and after[0] in _QUOTES
    return opened or (closed and text[:start].count(after[0]) % 2 == 1)


def _redact(text: str) -> str:
    lowered = text.lower()
    for patterns in _COMPILED.values():
        for anchors, pattern in patterns:
            if _may_match(lowered, anchors):
                redacted = pattern.sub(_redaction, text)
                if redacted != text:
                    text, lowered = redacted, redacted.lower()
    return text


def _redaction(match: re.Match[str]) -> str:
    # Keep the punctuation or newline a clause opener consumed, so sentences stay apart.
    lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip(".!?:;,\n-—( "))]
    return f"{lead}{REDACTED_INSTRUCTION}"


def _decoded_variants(text: str) -> Iterator[tuple[str, str]]:
    """The message as it reads once each common disguise is undone."""
    transforms: tuple[tuple[str, Callable[[str], str]], ...] = (
        ("unicode", _unmask_unicode),
        ("leetspeak", lambda t: _unmask_unicode(t).translate(_LEET)),
        ("rot13", lambda t: codecs.decode(t, "rot13")),
        ("reversed", lambda t: t[::-1]),
    )
    for disguise, transform in transforms:
        decoded = transform(text)
        if decoded != text:
            yield disguise, decoded
    for run in _BASE64_RUN.findall(text):
        decoded = _printable(_b64(run))
        if decoded:
            yield "base64", decoded
    for run in _HEX_RUN.findall(text):
        decoded = _printable(_hex(run))
        if decoded:
            yield "hex", decoded


def _unmask_unicode(text: str) -> str:
    """NFKC (fullwidth and styled letters), no invisible format characters, Latin look-alikes."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return visible.translate(_HOMOGLYPHS)


def _decode_tags(text: str) -> str:
    """Unicode tag characters mirror ASCII invisibly ("ASCII smuggling"): read them as ASCII."""
    return "".join(chr(ord(c) - 0xE0000) if ord(c) in _TAG_BLOCK else c for c in text)


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


def _squash(text: str) -> str:
    return " ".join(text.lower().split())
