from lambdas.core.citations import citations_for, cited_numbers
from lambdas.core.models import Passage

PASSAGES = [Passage(f"doc{i}", f"Title {i}", f"text of passage {i}", 0.5) for i in range(1, 4)]


def test_markers_are_read_in_order_of_first_use():
    assert cited_numbers("See [3] and [1], again [3].") == [3, 1]


def test_only_cited_passages_become_citations():
    citations = citations_for("Answer [2].", PASSAGES)
    assert [(c.n, c.document_id) for c in citations] == [(2, "doc2")]


def test_markers_outside_the_passage_list_are_ignored():
    assert citations_for("Made up [7].", PASSAGES) == ()


def test_long_snippets_are_shortened():
    long = [Passage("d", "t", "word " * 200, 1.0)]
    (citation,) = citations_for("[1]", long)
    assert len(citation.snippet) <= 240
