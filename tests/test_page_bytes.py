"""The page's JSON is made safe and compressed as UTF-8 bytes (``page_json_bytes``), never decoded to
text and encoded again: the bytes must be the text the page had before, escaped the same way, and
whether the data is compressed is still decided by its length in characters."""
from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings

from graph.visualise import html
from graph.visualise.html import COMPRESS_ABOVE, page_json, page_json_bytes, read_payloads, render_html

from test_page_json import VALUES, written


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_the_bytes_are_the_text_escaped_as_before(value: Any) -> None:
    as_bytes, as_text = written(page_json_bytes, value), written(page_json, value)
    assert as_bytes[0] == as_text[0]
    if as_bytes[1] is not None:
        assert as_bytes[1] == as_text[1].encode("utf-8")
        try:
            before = html._script_safe(orjson.dumps(value).decode("utf-8"))  # the text the page held before
        except orjson.JSONEncodeError:
            return  # written by json_for_script, as before
        assert as_bytes[1].decode("utf-8") == before


class View:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.network = type("Network", (), {"nodes": [], "edges": [], "options": {}})()


def test_compression_is_decided_by_characters_not_bytes() -> None:
    """Chinese names are three bytes a character in UTF-8: 400,000 of them stay plain text."""
    under = View({"nodes": {"n": {"label": "宝" * (COMPRESS_ABOVE * 2 // 5)}}})
    over = View({"nodes": {"n": {"label": "宝" * (COMPRESS_ABOVE + 10)}}})
    assert 'data-encoding="gzip+base64"' not in render_html(under)
    assert 'data-encoding="gzip+base64"' in render_html(over)
    assert read_payloads(render_html(under))["alliance-data"] == under.data
    assert read_payloads(render_html(over))["alliance-data"] == over.data
