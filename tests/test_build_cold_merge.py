"""A cold build stores the merge of its graphs and hashes each source's statements from the
quads it loaded (graph.rdf.store.Merge, graph.changes.manifest.statement_digests with ``nquads``)
instead of reading the store back: the results must be those of the store's own dump."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build.derive import derive
from graph.build.pipeline import compile_records, vocabulary_nquads
from graph.changes.manifest import statement_digests
from graph.config import PROJECT_ROOT, Settings
from graph.rdf.merge import Merge, triples_of
from graph.rdf.store import OxigraphStore
from graph.records.taxonomy import load_taxonomy

NQ = ox.RdfFormat.N_QUADS
XSD = "http://www.w3.org/2001/XMLSchema#"
SOURCE = "https://w3id.org/alliance-graph/id/source/"


def _synthetic(folder: Path, alliances: int) -> Path:
    """A landscape from the build benchmark's generator (scripts/bench_build.py), in ``folder``."""
    spec = importlib.util.spec_from_file_location("bench_build", PROJECT_ROOT / "scripts" / "bench_build.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.make_data(folder, alliances)
    return folder


def _cold(settings: Settings, merge: Merge | None) -> OxigraphStore:
    """Records loaded and derived as a cold build does (without the checks), the merge stored."""
    store = OxigraphStore.in_memory()
    compiled = compile_records(store, settings, load_taxonomy(settings.ontology_dir), preamble=vocabulary_nquads(settings), merge=merge)
    assert not compiled.problems
    derive(store, settings, merge=merge)
    store.materialise_union(merge)
    return store


def _default_graph(store: OxigraphStore) -> set[ox.Quad]:
    return set(store._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))


@pytest.mark.parametrize("data", ["project", "synthetic"])
def test_the_merge_and_the_hashes_from_the_loaded_quads_are_the_stores(data: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=PROJECT_ROOT / "data" if data == "project" else _synthetic(tmp_path / "data", 60))
    merge = Merge()
    try:
        written = _cold(settings, merge)
        assert merge.complete  # the merge came from the quads as loaded, not from the store
        dumped = _cold(settings, None)
        assert _default_graph(written) == _default_graph(dumped)
        assert len(_default_graph(written)) > 1000
        from_merge = statement_digests(written, settings, merge=merge)
        sources = [graph for graph in merge.alone if graph.startswith(SOURCE)]
        assert len(sources) > 10 and all(merge.triples(graph) for graph in sources)  # read from the merge, not dumped
    finally:
        merge.close()
    assert from_merge == statement_digests(written, settings)
    assert list(from_merge) == list(statement_digests(written, settings))  # the same order too
    assert sum(len(hashes) for hashes in from_merge.values()) > 50


def _quad(subject: str, value: ox.Literal | ox.NamedNode | ox.BlankNode, graph: str, subject_node: ox.NamedNode | ox.BlankNode | None = None) -> ox.Quad:
    return ox.Quad(subject_node or ox.NamedNode(f"{Settings().base}alliance/{subject}"),
                   ox.NamedNode("https://example.org/p"), value, ox.NamedNode(SOURCE + graph))


def _pieces(*groups: list[ox.Quad]) -> list[bytes]:
    return [ox.serialize(quads, format=NQ) or b"" for quads in groups]


def _hashes_both_ways(pieces: list[bytes]) -> None:
    store = OxigraphStore.in_memory()
    merge = Merge()
    try:
        for piece in pieces:
            store.load(piece, NQ)
            merge.add_quads(piece)
        settings = Settings()
        assert statement_digests(store, settings, merge=merge) == statement_digests(store, settings)
    finally:
        merge.close()


def test_hashes_from_the_merge_take_the_stores_forms_and_dump_what_it_cannot_tell() -> None:
    """Literals the store writes in another form ("01" as "1"), a triple stated twice in one piece,
    a graph in two pieces and a piece of two graphs: the same hashes as the dump's."""
    integer, decimal, year = (ox.NamedNode(XSD + name) for name in ("integer", "decimal", "gYear"))
    _hashes_both_ways(_pieces(
        [_quad("a", ox.Literal("01", datatype=integer), "one"), _quad("a", ox.Literal("1.50", datatype=decimal), "one"),
         _quad("a", ox.Literal("1", datatype=integer), "one"),
         _quad("a", ox.Literal("2020", datatype=year), "one"), _quad("a", ox.Literal("x \"q\"", language="en"), "one")],
        [_quad("b", ox.Literal("+7", datatype=integer), "two")],
        [_quad("b", ox.Literal("8", datatype=integer), "two")],  # graph two in a second piece
        [_quad("c", ox.Literal("3"), "three"), _quad("c", ox.Literal("4"), "four")]))  # two graphs in one piece


def test_blank_nodes_leave_the_merge_to_the_store() -> None:
    merge = Merge()
    try:
        merge.add_quads(_pieces([_quad("d", ox.BlankNode(), "five")])[0])
        assert not merge.complete and merge.triples(SOURCE + "five") is None
    finally:
        merge.close()


def test_triples_of_cuts_each_lines_graph_name() -> None:
    def triples(nquads: bytes) -> bytes:
        return b"".join(ox.serialize([ox.Triple(q.subject, q.predicate, q.object)], format=ox.RdfFormat.N_TRIPLES) or b""
                        for q in ox.parse(nquads, format=NQ))

    one = _pieces([_quad("a", ox.Literal("x <y> ."), "one"), _quad("a", ox.NamedNode("https://example.org/o"), "one")])[0]
    assert triples_of(one) == (triples(one), {SOURCE + "one"})
    two = _pieces([_quad("a", ox.Literal("1"), "one"), _quad("b", ox.NamedNode("https://example.org/o"), "two")])[0]
    assert triples_of(two) == (triples(two), {SOURCE + "one", SOURCE + "two"})
    assert triples_of(_pieces([_quad("a", ox.BlankNode(), "one")])[0]) is None
    assert triples_of(b"") == (b"", set())


def test_a_triple_outside_the_named_graphs_makes_the_merge_read_from_the_store() -> None:
    store = OxigraphStore.in_memory()
    merge = Merge()
    try:
        quads = _pieces([_quad("a", ox.Literal("1"), "one")])[0]
        store.load(quads, NQ)
        merge.add_quads(quads)
        outside = b"<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n"
        store.load(outside, NQ)
        merge.add_quads(outside)  # cut as if it were a quad: only the default graph's check catches it
        store.materialise_union(merge)
        assert not merge.complete
    finally:
        merge.close()
    assert len(_default_graph(store)) == 2


def test_the_merge_stored_beside_the_hashes_is_the_merge_stored_alone(tmp_path: Path) -> None:
    """``storing_merge`` bulk-loads the merge on a thread while the block reads the merge's file
    (the statement hashes): the default graph and the hashes are those of the two one after the other."""
    settings = Settings(data_dir=_synthetic(tmp_path / "data", 60))
    stores: list[OxigraphStore] = []
    hashes = []
    for beside in (True, False):
        store = OxigraphStore.in_memory()
        merge = Merge()
        try:
            compiled = compile_records(store, settings, load_taxonomy(settings.ontology_dir), preamble=vocabulary_nquads(settings), merge=merge)
            assert not compiled.problems
            derive(store, settings, merge=merge)
            if beside:
                with store.storing_merge(merge):
                    hashes.append(statement_digests(store, settings, merge=merge))
                    inside = {graph: merge.triples(graph) for graph in merge.alone}
                assert inside == {graph: merge.triples(graph) for graph in merge.alone}  # reading it left the loader's reading alone
                assert sum(bool(triples) for triples in inside.values()) > 10
            else:
                store.materialise_union(merge)
                hashes.append(statement_digests(store, settings, merge=merge))
        finally:
            merge.close()
        stores.append(store)
    assert len(_default_graph(stores[0])) > 1000
    assert _default_graph(stores[0]) == _default_graph(stores[1])
    assert hashes[0] == hashes[1] and sum(len(found) for found in hashes[0].values()) > 50
    assert not stores[0]._union  # queries read the stored merge, once it is whole


def test_a_merge_that_cannot_be_stored_fails_after_the_block() -> None:
    store = OxigraphStore.in_memory()
    merge = Merge()
    try:
        merge.file.write(b"<https://example.org/s> not-an-iri .\n")
        merge.file.flush()
        ran = []
        with pytest.raises(SyntaxError):
            with store.storing_merge(merge):
                ran.append(True)
        assert ran and store._union  # the block ran; the default graph is not taken for the merge
    finally:
        merge.close()


def test_reading_the_merge_while_it_is_stored_does_not_move_the_loaders_place(tmp_path: Path) -> None:
    """Many reads of the merge's graphs (each a flush and a read elsewhere in the file, were it done
    with the file's own position) while the thread bulk-loads it: the whole merge is stored."""
    store = OxigraphStore.create(tmp_path / "store")
    merge = Merge()
    graphs = 400
    try:
        for graph in range(graphs):
            merge.add_quads(b"".join(f"<https://example.org/s{graph}-{n}> <https://example.org/p> \"{n}\" <{SOURCE}g{graph}> .\n".encode()
                                     for n in range(500)))
        with store.storing_merge(merge):
            for _ in range(20):
                for graph in range(graphs):
                    assert merge.triples(f"{SOURCE}g{graph}")
    finally:
        merge.close()
    assert len(_default_graph(store)) == graphs * 500
