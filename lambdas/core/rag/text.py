"""Query handling for keyword search."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")

# Function words and question words carry no topic: left in a BM25 query they match
# every chunk that happens to be phrased as a question (headings of FAQ-style documents)
# and dilute the words that matter. A short, conventional English list (Lucene's
# defaults plus interrogatives and auxiliaries), not one fitted to any corpus.
STOPWORDS = frozenset(
    """
    a an and are as at be but by for if in into is it no not of on or such that the their
    then there these they this to was will with what which who whom whose when where why how
    does do did done can could should would may might must shall i me my we our you your he
    she him her its them am been being have has had having about from than so too very just
    also any some all each other more most own same only up down out off over under again
    further once here both few nor s t don
    """.split()  # noqa: SIM905 - a word list reads best as prose
)


def keyword_query(query: str) -> str:
    """The query's content words, lowercased and deduplicated, for BM25.

    A query made only of stopwords keeps them all, so it still matches something.
    """
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    content = [word for word in words if word not in STOPWORDS]
    return " ".join(content or words)


STEM_CHARS = 5
"""Words are compared by their first five characters: truncation stemming, which matches
English inflections about as well as a rule-based stemmer and needs no language tables."""


def query_coverage(query: str, text: str) -> float:
    """The fraction of the query's keyword-search words (see `keyword_query`) that `text` contains.

    Tells how much of a question a keyword hit actually answers: a question worded unlike
    its passage still gets BM25 hits, but on one or two incidental words.
    """
    wanted = {word[:STEM_CHARS] for word in keyword_query(query).split()}
    if not wanted:
        return 0.0
    present = {word.lower()[:STEM_CHARS] for word in _WORD.findall(text)}
    return len(wanted & present) / len(wanted)
