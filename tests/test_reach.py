"""Derivations restricted to what a change reaches (graph/build/reach.py, graph/build/derive.py):
each derivation, run for some keys, makes exactly its whole run's triples about those keys; on a
complete build it makes again exactly the derived graph (so the first stage does not read the
derived triples an incremental build keeps); and each query's ``#@reads`` paths name every
predicate it reads, so that no change can reach a result unseen."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build.derive import DERIVATIONS, Derivation, stages
from graph.build.pipeline import build
from graph.build.reach import Changes, TooWide, expand, keys, parse_path, reads_of, scoped
from graph.config import Settings
from graph.rdf.query_forms import construct, select
from graph.rdf.store import OxigraphStore

NT = ox.RdfFormat.N_TRIPLES


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OxigraphStore, Settings]]:
    """The seed corpus, built (the store holds its merge and its derived graph)."""
    import shutil

    from conftest import seed_corpus
    root = tmp_path_factory.mktemp("reach")
    (root / "data" / "sources").mkdir(parents=True)
    for path in seed_corpus():
        shutil.copy(path, root / "data" / "sources" / path.name)
    settings = Settings(data_dir=root / "data", store_path=root / "store")
    build(settings)
    store = OxigraphStore.open(settings.store_path)
    yield store, settings
    store.close()


def _derivations() -> list[Derivation]:
    return [derivation for stage in stages() for derivation in stage]


def _subject(line: bytes) -> str:
    subject = next(iter(ox.parse(line, format=NT))).subject
    assert isinstance(subject, ox.NamedNode | ox.BlankNode), line
    return subject.value


def _derived(store: OxigraphStore, settings: Settings, derivation: Derivation) -> set[bytes]:
    values = " ".join(f"<{p}>" for p in derivation.makes)
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ {values} }} GRAPH <{settings.graph_iri('derived')}> {{ ?s ?p ?o }} }}"
    return set((construct(store, query).serialize(format=NT) or b"").splitlines())


@pytest.mark.parametrize("name", [d.name for d in _derivations()])
def test_a_derivation_run_again_on_a_built_store_makes_the_derived_graph(built: tuple[OxigraphStore, Settings], name: str) -> None:
    """An incremental build keeps the derived graph in the merge while it derives: a derivation that
    read its own old triples (the matchable labels read skos:hiddenLabel) would make other ones."""
    store, settings = built
    derivation = next(d for d in _derivations() if d.name == name)
    made = set(derivation.make(store, settings, None).splitlines())
    assert made and made == _derived(store, settings, derivation)


@pytest.mark.parametrize("name", [d.name for d in _derivations()])
def test_a_derivation_for_some_keys_makes_its_triples_about_them(built: tuple[OxigraphStore, Settings], name: str) -> None:
    store, settings = built
    derivation = next(d for d in _derivations() if d.name == name)
    assert derivation.scopable
    whole = set(derivation.make(store, settings, None).splitlines())
    subjects = sorted({_subject(line) for line in whole})
    chosen = set(subjects[::2])
    assert chosen
    expected = {line for line in whole if _subject(line) in chosen}
    assert set(derivation.make(store, settings, chosen).splitlines()) == expected
    assert derivation.make(store, settings, {"https://example.org/nothing"}) == b""


PROPERTY = re.compile(r"(?<![\w?])((?:al|schema|skos|org|dcterms|rdfs|foaf|prov|owl|rdf):[a-z]\w*)")


@pytest.mark.parametrize("path", sorted(DERIVATIONS.rglob("*.rq")), ids=lambda p: p.name)
def test_every_predicate_a_derivation_reads_is_on_one_of_its_paths(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    where = text.split("WHERE", 1)[1]
    where = "\n".join(line for line in where.splitlines() if not line.strip().startswith("#"))
    read = {expand(name) for name in PROPERTY.findall(where)} | ({expand("a")} if re.search(r"\sa\s", where) else set())
    covered = {predicate for steps in reads_of(text) for step in steps for predicate in step.predicates}
    assert read and read <= covered, f"{path.name} reads {sorted(read - covered)} on no #@reads path"


def test_the_keys_are_found_from_the_near_end_of_a_changed_quad_only(built: tuple[OxigraphStore, Settings]) -> None:
    """A changed sector of one organisation reaches that organisation, not every organisation of the sector."""
    store, settings = built
    hbis = ox.NamedNode(settings.entity_iri("organisation", "hbis"))
    sector = ox.NamedNode("https://w3id.org/alliance-graph/ontology#sector")
    steel = ox.NamedNode("https://w3id.org/alliance-graph/taxonomy/sector/steel")
    changes = Changes([ox.Quad(hbis, sector, steel, ox.NamedNode(settings.entity_iri("source", "x")))])
    assert keys(store, (parse_path("al:sector"),), changes, 100) == {hbis.value}
    # through its participations to the participations of its alliances (supplier-pairs.rq)
    participations = keys(store, (parse_path("^al:participation/al:participation/al:party/al:sector"),), changes, 100)
    alliances = {row["a"].value for row in select(store, f"SELECT ?a WHERE {{ ?a al:participation/al:party <{hbis.value}> }}")}
    assert alliances and participations == {row["p"].value for row in select(
        store, "SELECT ?p WHERE { VALUES ?a { %s } ?a al:participation ?p }" % " ".join(f"<{a}>" for a in alliances))}
    with pytest.raises(TooWide):
        keys(store, (parse_path("^al:participation/al:participation/al:party/al:sector"),), changes, 1)


def test_a_path_that_is_not_one_is_refused_with_what_to_write() -> None:
    with pytest.raises(ValueError, match="no step"):
        parse_path("al:party//al:sector")
    with pytest.raises(ValueError, match="no prefixed name"):
        parse_path("nope:party")
    with pytest.raises(ValueError, match="forward, once"):
        parse_path("^@graph")


def test_scope_lines_become_values_and_stay_comments_otherwise() -> None:
    query = "SELECT ?a WHERE {\n  #@scope ?a\n  ?a ?p ?o }"
    assert scoped(query, None) == query
    assert "{ SELECT ?a WHERE { VALUES ?a { <https://e/1> <https://e/2> } } }" in scoped(query, {"https://e/2", "https://e/1"})


def test_no_two_derivations_make_the_same_predicate() -> None:
    """A key's old triples are found by the predicates of its derivation: two derivations making one
    predicate would each take the other's triples for its own."""
    makes = [derivation.makes for derivation in _derivations()]
    assert all(makes)
    assert sum(len(m) for m in makes) == len(set().union(*makes))
