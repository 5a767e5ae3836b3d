"""GraphML and GEXF written by graph.network.files as text are byte for byte what networkx's writers
write for the same graph (the format they replaced): every key, type, value, escape and the order and
indentation. Random graphs carry what a faster writer gets wrong: control characters, quotes,
ampersands, line breaks and tabs in attributes, non-Latin names, empty text, integers, floats
(infinite and not a number too) and booleans, attributes present on some nodes only and of
different types on different nodes. networkx reads our files back to the graph it reads from its own.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import api
from graph.network.files import flat_graph, flat_items, gexf_bytes, graphml_bytes, write_network_file
from graph.network.landscape_cache import landscape_of
from graph.network.measures import MeasureReport, measure
from graph.network.projections import organisation_network
from graph.rdf.store import OxigraphStore
from graph.safe_output import xml_safe

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["", "A & B <c> \"d\" 'e'", "line\nbreak\r\ttab", "河钢集团", "Тест", "\x01\x0b\x1f", "\ufffe\uffff", "]]>"])
VALUE = TEXT | st.integers(-10**12, 10**12) | st.floats(allow_nan=True, allow_infinity=True) | st.booleans()
NAMES = st.sampled_from(["label", "kind", "sector", "pagerank", "community", "groups", "x & y", "dates", "weight"])


@st.composite
def graphs(draw: st.DrawFn) -> nx.Graph[str]:
    graph: nx.Graph[str] = nx.Graph()
    nodes = draw(st.lists(TEXT, min_size=0, max_size=8, unique=True))
    for node in nodes:
        graph.add_node(node, **draw(st.dictionaries(NAMES | st.just("id"), VALUE, max_size=5)))
    if len(nodes) > 1:
        for a, b in draw(st.lists(st.tuples(st.sampled_from(nodes), st.sampled_from(nodes)), max_size=12)):
            graph.add_edge(a, b, **draw(st.dictionaries(NAMES.filter(lambda n: n != "label"), VALUE, max_size=4)))
    return graph


def networkx_bytes(write: Callable[..., None], graph: nx.Graph[str]) -> bytes:
    document = io.BytesIO()
    write(graph, document)
    return document.getvalue()


def same_graph(read: Callable[..., nx.Graph[str]], ours: bytes, theirs: bytes) -> None:
    """networkx reads both files to the same nodes, edges, attributes and attribute types (compared by
    repr, which tells 3 from "3" and 3.0, and where not-a-number equals itself)."""
    mine, its = read(io.BytesIO(ours)), read(io.BytesIO(theirs))
    assert repr(list(mine.nodes(data=True))) == repr(list(its.nodes(data=True)))
    assert repr(list(mine.edges(data=True))) == repr(list(its.edges(data=True)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_graphml_is_what_networkx_writes(graph: nx.Graph[str]) -> None:
    assert graphml_bytes(graph) == networkx_bytes(nx.write_graphml_xml, graph)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_gexf_is_what_networkx_writes(graph: nx.Graph[str]) -> None:
    assert gexf_bytes(graph) == networkx_bytes(nx.write_gexf, graph)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.data())
def test_the_flat_items_are_the_flat_graphs_in_its_order(graph: nx.Graph[str], data: st.DataObject) -> None:
    """What the writers write without building the flattened copy is that copy's nodes and edges, in
    networkx's order of iteration (which decides the order of the file and of GEXF's edge ids)."""
    for a, b in graph.edges:
        graph.edges[a, b]["alliances"] = data.draw(st.lists(TEXT, max_size=3))  # lists become '; '-joined text
    rows = [{"iri": node, "label": "not written", "pagerank": data.draw(VALUE), "groups": data.draw(st.lists(TEXT, max_size=2) | st.none())}
            for node in graph.nodes if data.draw(st.booleans())]
    report = MeasureReport(rows, [])
    flat = flat_graph(graph, report)
    assert flat_items(graph, report) == (list(flat.nodes.items()), list(flat.edges(data=True)))


def hostile() -> nx.Graph[str]:
    graph: nx.Graph[str] = nx.Graph()
    graph.add_node("https://x/a", id="a", label='A & <B> "C"\n\tD\r', kind="organisation", sector="", pagerank=0.25,
                   community=3, listed=True, share=float("inf"))
    graph.add_node("https://x/b", id="b", label="河钢集团 \x01 Ünïcödé", kind="group", pagerank=1e-05, community="3",
                   listed=False, share=float("nan"))
    graph.add_node("https://x/c")
    graph.add_edge("https://x/b", "https://x/a", weight=2, alliances="x; y", dates="")
    graph.add_edge("https://x/c", "https://x/a", weight=1)
    return graph


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_networkx_reads_our_file_back_to_its_own_graph(fmt: str) -> None:
    graph = hostile()
    ours = xml_safe(graphml_bytes(graph) if fmt == "graphml" else gexf_bytes(graph))
    theirs = xml_safe(networkx_bytes(nx.write_graphml_xml if fmt == "graphml" else nx.write_gexf, graph))
    same_graph(nx.read_graphml if fmt == "graphml" else nx.read_gexf, ours, theirs)
    read = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(io.BytesIO(ours))
    a = read.nodes["https://x/a" if fmt == "graphml" else "a"]
    # GEXF holds the label in an attribute (its carriage return escaped); in GraphML's element text an XML
    # reader turns it into a line feed (networkx's writer does not escape it there either).
    assert a["label"] == 'A & <B> "C"\n\tD' + ("\r" if fmt == "gexf" else "\n") and a["pagerank"] == 0.25 and a["community"] == 3 and a["listed"] is True
    assert "\ufffd" in read.nodes["https://x/b" if fmt == "graphml" else "b"]["label"]  # the control character, made safe


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_what_the_text_writer_does_not_cover_goes_to_networkx(fmt: str) -> None:
    graph = hostile()
    graph.graph["name"] = "with a graph attribute"
    graph.nodes["https://x/a"]["start"] = "2024-01-01"  # a GEXF spell: the node's own attribute
    write = nx.write_graphml_xml if fmt == "graphml" else nx.write_gexf
    assert (graphml_bytes if fmt == "graphml" else gexf_bytes)(graph) == networkx_bytes(write, graph)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_the_export_of_the_seed_graph_is_what_networkx_writes(store: OxigraphStore, fmt: str, tmp_path: Path) -> None:
    written = api.export_network(store, fmt, tmp_path / f"network.{fmt}")
    graph = organisation_network(landscape_of(store))
    flat = flat_graph(graph, measure(graph, only="pagerank"))
    assert flat.number_of_edges() > 0
    expected = xml_safe(networkx_bytes(nx.write_graphml_xml if fmt == "graphml" else nx.write_gexf, flat))
    assert written.read_bytes() == expected


def test_the_csv_needs_no_measures(store: OxigraphStore, tmp_path: Path) -> None:
    graph = organisation_network(landscape_of(store))
    write_network_file(graph, None, tmp_path / "without.csv", "csv")
    write_network_file(graph, measure(graph), tmp_path / "with.csv", "csv")
    assert (tmp_path / "without.csv").read_bytes() == (tmp_path / "with.csv").read_bytes()
    with pytest.raises(ValueError, match="measures"):
        write_network_file(graph, None, tmp_path / "n.graphml", "graphml")
