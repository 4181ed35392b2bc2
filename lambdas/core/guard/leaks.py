"""System-prompt leak checks on answers, whole or streamed."""

from __future__ import annotations


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


def _squash(text: str) -> str:
    return " ".join(text.lower().split())
