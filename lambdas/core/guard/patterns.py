"""The pattern layer: instructions aimed at the model, recognised by their grammar.

"ignore all previous instructions" starting a sentence is an attack, while a question that
quotes or discusses the phrase ("what does 'ignore previous instructions' do?") is not. Cheap
and precise on the attacks it describes; the classifier layer covers paraphrases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
_ALL_ANCHORS = sorted(
    {a for groups in _ANCHORS.values() for anchors in groups for a in anchors}, key=len, reverse=True
)
# One scan finds every anchor: at each position the longest anchor starting there is taken,
# and it implies the shorter anchors inside it ("aim" contains "ai").
_ANCHOR_SCAN = re.compile("(?=(" + "|".join(re.escape(a) for a in _ALL_ANCHORS) + "))")
_IMPLIED = {a: frozenset(b for b in _ALL_ANCHORS if b in a) for a in _ALL_ANCHORS}
_ORDERED = [
    (category, anchors, pattern) for category, patterns in _COMPILED.items() for anchors, pattern in patterns
]
_BY_ANCHOR = {
    a: frozenset(i for i, (_, anchors, _) in enumerate(_ORDERED) if a in anchors) for a in _ALL_ANCHORS
}


def first_attack(text: str) -> str:
    """The attack family of the first pattern that matches outside quotes, or ''."""
    for index in _candidates(text):
        category, _, pattern = _ORDERED[index]
        if any(not _quoted(text, match) for match in pattern.finditer(text)):
            return category
    return ""


def _candidates(text: str) -> list[int]:
    """Indices of the patterns one of whose anchors occurs in the text, in pattern order."""
    present = anchors_in(text.lower())
    return sorted(frozenset().union(*(_BY_ANCHOR[anchor] for anchor in present)))


def anchors_in(lowered: str) -> frozenset[str]:
    """Every anchor word that occurs in the (lowercased) text."""
    return frozenset([anchor for anchor in _ALL_ANCHORS if anchor in lowered])


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


def redact(text: str) -> str:
    """Text with every span a pattern matches replaced by the marker."""
    for index in _candidates(text):
        text = _ORDERED[index][2].sub(_redaction, text)
    return text


def _redaction(match: re.Match[str]) -> str:
    # Keep the punctuation or newline a clause opener consumed, so sentences stay apart.
    lead = match.group(0)[: len(match.group(0)) - len(match.group(0).lstrip(".!?:;,\n-—( "))]
    return f"{lead}{REDACTED_INSTRUCTION}"
