"""HTML pages as the Markdown outline chunking reads: structure kept, invisible content dropped,
broken markup repaired as a browser would."""

from __future__ import annotations

from lambdas.core.rag.chunking import ChunkingConfig, chunk_text
from lambdas.core.rag.html_outline import html_outline


def heading_paths(markup: str) -> list[tuple[str, ...]]:
    chunks = chunk_text(
        html_outline(markup),
        document_id="d",
        owner="o",
        title="page.html",
        config=ChunkingConfig(max_chars=50, overlap_chars=0),
    )
    return [chunk.heading_path for chunk in chunks]


def test_sections_give_chunks_their_heading_path() -> None:
    page = (
        "<h1>Guide</h1><p>An overview of everything in this guide.</p>"
        "<section><h2>Install</h2><p>Run the installer from the release page.</p>"
        "<h3>Linux</h3><p>Use the package of your distribution.</p></section>"
        "<h2>Usage</h2><p>Start the service and open its page.</p>"
    )

    assert list(dict.fromkeys(heading_paths(page))) == [
        ("Guide",),
        ("Guide", "Install"),
        ("Guide", "Install", "Linux"),
        ("Guide", "Usage"),
    ]


def test_unclosed_and_misnested_tags_are_repaired_like_a_browser_does() -> None:
    page = "<h1>Title<p>one <b>bold <i>both</b> italic</i><p>two</p></h2><h2>Next</h2>after &amp; more"

    assert html_outline(page) == "# Title\n\none bold both italic\n\ntwo\n\n## Next\n\nafter & more"


def test_unclosed_headings_still_end_where_the_next_block_starts() -> None:
    assert heading_paths("<h2>Setup<p>Install the tools first.<h2>Run<p>Start the service now.") == [
        ("Setup",),
        ("Run",),
    ]


def test_named_numeric_and_non_breaking_entities_are_decoded() -> None:
    assert html_outline("<p>a&nbsp;b &lt;tag&gt; &copy; &#x41;&#66;</p>") == "a b <tag> © AB"


def test_scripts_styles_templates_noscript_and_head_are_not_text() -> None:
    page = (
        "<html><head><title>T</title><style>p{}</style></head><body><script>var x;</script>"
        "<template><p>later</p></template><noscript>enable scripts</noscript><p>Body</p></body></html>"
    )

    assert html_outline(page) == "Body"


def test_hidden_elements_are_not_text() -> None:
    page = (
        "<div hidden>secret</div><p style='color: red; DISPLAY : none'>gone</p>"
        "<p style='visibility:hidden'>invisible</p><span aria-hidden='true'>icon</span><p>seen</p>"
    )

    assert html_outline(page) == "seen"


def test_nested_lists_are_indented_and_ordered_lists_numbered() -> None:
    page = "<ul><li>fruit<ol><li>apple<li>pear</ol><li>bread</ul>"

    assert html_outline(page) == "- fruit\n\n  1. apple\n\n  2. pear\n\n- bread"


def test_a_paragraph_inside_a_list_item_keeps_the_items_bullet() -> None:
    assert html_outline("<ul><li><p>one</p></li><li><div>two</div></li><li></li></ul><p>after</p>") == (
        "- one\n\n- two\n\nafter"
    )


def test_table_rows_become_lines_of_cells() -> None:
    page = (
        "<table><caption>Limits</caption><tr><th>Name<th>Value<tr><td><img alt=''><td><p>size</p><td>10 MB"
        "</table><p>after</p>"
    )

    assert html_outline(page) == "Limits\n\nName | Value\nsize | 10 MB\n\nafter"


def test_line_breaks_break_lines_and_source_newlines_are_spaces() -> None:
    assert html_outline("<p>one\n   <b>two</b>\tthree<br>four</p>") == "one two three\nfour"


def test_preformatted_code_is_fenced_so_comment_lines_are_not_headings() -> None:
    page = "<h1>Deploy</h1><pre># set the region\nexport REGION=eu-west-1</pre><p>Then deploy.</p>"

    assert heading_paths(page) == [("Deploy",), ("Deploy",), ("Deploy",)]
    assert "```\n# set the region\nexport REGION=eu-west-1\n```" in html_outline(page)


def test_code_holding_a_fence_gets_a_longer_fence() -> None:
    assert html_outline("<pre>```\n# x\n```</pre>") == "````\n```\n# x\n```\n````"


def test_text_that_looks_like_markdown_headings_stays_text() -> None:
    page = "<h1>Notes</h1><p># not a heading</p><p>Total<br>===</p><ul><li>## nor this</li></ul>"

    assert heading_paths(page) == [("Notes",)] * len(heading_paths(page))
    assert html_outline(page) == "# Notes\n\n\\# not a heading\n\nTotal\n\\===\n\n- \\## nor this"


def test_deeply_nested_markup_does_not_exhaust_the_stack() -> None:
    assert html_outline("<div>" * 20_000 + "deep" + "</div>" * 20_000) == "deep"
