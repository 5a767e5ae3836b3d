"""The network page's JSON, written by orjson (``page_json``), holds the values ``json_for_script``
(the standard library's json) writes: on random values with what breaks a page (a closing script tag,
HTML comments, ampersands, U+2028 and U+2029, control characters, non-Latin text, floats written
otherwise by the two libraries, numbers that are not finite, integers over 64 bits, keys that are
not text) and on the rendered page of the seed graph, whose payloads are the same either way.
"""
from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import api
from graph.errors import AllianceError
from graph.rdf.store import OxigraphStore
from graph.visualise import html
from graph.visualise.html import json_for_script, page_json, read_payloads, render_html

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=10) | st.sampled_from(
    ["</script><!--", "a & b", "\u2028\u2029", "\x00\x1f\x7f", "河钢集团", "Тест", '"\\'])
SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.floats(allow_nan=False, allow_infinity=False) | TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(TEXT | st.integers(0, 9), inner, max_size=4), max_leaves=30)
UNSAFE = ("<", ">", "&", "\u2028", "\u2029")


def written(encode: Any, value: Any) -> Any:
    try:
        return ("ok", encode(value))
    except AllianceError:
        return ("refused", None)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_page_json_holds_what_json_for_script_holds(value: Any) -> None:
    fast, plain = written(page_json, value), written(json_for_script, value)
    assert fast[0] == plain[0]  # a number that is not finite is refused by both
    if fast[1] is not None:
        assert not any(c in fast[1] for c in UNSAFE)
        assert json.loads(fast[1]) == json.loads(plain[1])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(TEXT, VALUES, max_size=5))
def test_a_dict_written_member_by_member_is_orjsons_own_bytes(value: dict[str, Any]) -> None:
    """``page_json_bytes`` writes a dict with text keys member by member (to walk only the members
    whose JSON holds null): the bytes are orjson's for the whole dict, or None where json refuses."""
    try:
        whole = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return  # integers over 64 bits: left to json_for_script
    checked = html._checked_orjson(value)
    assert checked == (whole if written(json_for_script, value)[0] == "ok" else None)


def test_a_number_that_is_not_finite_is_refused_not_written_as_null() -> None:
    with pytest.raises(AllianceError, match="JSON"):
        page_json({"measure": [0.5, float("nan")]})


@pytest.mark.parametrize("size_by", ["pagerank", "constraint"])
def test_the_seed_graphs_page_has_the_same_payloads_either_way(store: OxigraphStore, size_by: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    view = api.network_view(store, size_by=size_by)
    fast = render_html(view, compress=True)
    monkeypatch.setattr(html, "page_json_bytes", lambda value: json_for_script(value).encode("utf-8"))
    plain = render_html(view, compress=True)
    assert read_payloads(fast) == read_payloads(plain)
    assert read_payloads(fast)["alliance-network"]["nodes"]
