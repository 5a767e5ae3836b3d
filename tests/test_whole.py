"""A derivation's faster whole run (graph.build.whole) makes exactly the triples of its .rq file run
over every key: on the seed corpus, and on a graph made to try the order, the duplicates and the
keys that get no list."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.build.derive import DERIVATIONS
from graph.build.pipeline import compile_all
from graph.build.whole import WHOLE, alliance_lists
from graph.config import Settings
from graph.rdf.namespaces import PREFIXES, SCHEMA
from graph.rdf.query_forms import construct
from graph.rdf.store import OxigraphStore

from conftest import seed_corpus

FILES = {path.stem: path for path in DERIVATIONS.rglob("*.rq")}


def _by_query(store: OxigraphStore, name: str) -> list[bytes]:
    return sorted((construct(store, FILES[name].read_text(encoding="utf-8")).serialize(format=ox.RdfFormat.N_TRIPLES) or b"").splitlines())


def _by_whole(store: OxigraphStore, name: str) -> list[bytes]:
    return sorted(WHOLE[name](store).splitlines())


@pytest.fixture(scope="module")
def seeded() -> OxigraphStore:
    store = OxigraphStore.in_memory()  # Oxigraph's union as the default graph, as a cold build derives
    compile_all(store, Settings(), seed_corpus())
    return store


def test_every_whole_route_has_its_query_file() -> None:
    assert set(WHOLE) <= set(FILES)


@pytest.mark.parametrize("name", sorted(WHOLE))
def test_a_whole_route_makes_what_its_query_makes_on_the_seed_corpus(seeded: OxigraphStore, name: str) -> None:
    made = _by_whole(seeded, name)
    assert made, f"{name} makes some triples from the seed corpus"
    assert made == _by_query(seeded, name)


AL = PREFIXES["al"]
EX = "https://example.org/"
# Two sources state the same alliance (Oxigraph's union returns its triples once per source); its
# material names differ in case and accents and two of its materials share a name; a party takes
# part twice in two roles; a party without a name and a thing that is no alliance get no list. The
# parties are in one group that takes part in nothing itself. Year lists, broader pathways and
# sectors are there too: the whole routes must not take them for what they read.
TRICKY = f"""
@prefix al: <{AL}> . @prefix ex: <{EX}> . @prefix schema: <{SCHEMA}> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix tax: <{PREFIXES["tax"]}> .
ex:deal a al:Alliance ; al:material ex:m1, ex:m2, ex:m3, ex:m4, ex:m5, ex:m6 ; al:pathway ex:w1 ;
  al:participation ex:p1, ex:p2, ex:p3, ex:p4 ; al:signing ex:s1, ex:s2 ; schema:startDate "2024-05", "2023" .
ex:p1 al:party ex:o1 ; al:role ex:buyer .
ex:p2 al:party ex:o1 ; al:role ex:seller .
ex:p3 al:party ex:o2 ; al:role ex:buyer .
ex:p4 al:party ex:nameless ; al:role ex:buyer .
ex:p5 al:party ex:o3 ; al:role tax:role\\/supplier . ex:deal al:participation ex:p5 .
ex:o1 al:sector tax:sector\\/automotive . ex:o2 al:sector tax:sector\\/steel, tax:sector\\/aluminium .
ex:nameless al:sector tax:sector\\/automotive, tax:sector\\/steel .
ex:s1 schema:startDate "2024-01-02" . ex:s2 schema:startDate "2023-12" .
ex:thing al:material ex:m1 ; al:participation ex:p1 ; al:pathway ex:w2 .
ex:w2 skos:broader ex:w1 . ex:w1 skos:broader ex:top .
ex:o1 al:inGroup ex:o1, ex:group . ex:o2 al:inGroup ex:o2, ex:group . ex:nameless al:inGroup ex:nameless, ex:group .
ex:group al:inGroup ex:group .
"""
LABELS = f"""
@prefix al: <{AL}> . @prefix ex: <{EX}> .
ex:m1 al:displayLabel "steel"@en . ex:m2 al:displayLabel "Steel"@en . ex:m3 al:displayLabel "élan" .
ex:m4 al:displayLabel "Zinc" . ex:m5 al:displayLabel "steel" . ex:m6 al:displayLabel "钢"@zh .
ex:w1 al:displayLabel "hydrogen" . ex:o1 al:displayLabel "Org, One" . ex:o2 al:displayLabel "Org Two" .
ex:deal al:yearList ex:y2024 ; al:yearBasis "signing date" ; al:year 2024 .
ex:other al:yearList ex:y2024 ; al:yearBasis "signing date" ; al:year 2024 ; al:displayLabel "Deal" .
ex:thing al:yearList ex:none ; al:yearBasis "no date known" .
ex:buyer al:displayLabel "buyer" . ex:deal al:displayLabel "Deal"@en . ex:thing al:displayLabel "thing", "Thing"@de . ex:seller al:displayLabel "seller" .
"""


@pytest.fixture
def tricky() -> OxigraphStore:
    store = OxigraphStore.in_memory()
    for graph in ("source/a", "source/b"):
        store.load(TRICKY.encode(), ox.RdfFormat.TURTLE, EX + graph)
    store.load(LABELS.encode(), ox.RdfFormat.TURTLE, EX + "derived")
    return store


@pytest.mark.parametrize("name", sorted(WHOLE))
def test_a_whole_route_makes_what_its_query_makes_on_a_tricky_graph(tricky: OxigraphStore, name: str) -> None:
    assert _by_whole(tricky, name) == _by_query(tricky, name)


def test_alliance_lists_are_in_code_point_order_each_name_once(tricky: OxigraphStore) -> None:
    lists = {triple.predicate.value.removeprefix(AL): triple.object.value
             for triple in ox.parse(alliance_lists(tricky), format=ox.RdfFormat.N_TRIPLES)
             if triple.subject == ox.NamedNode(EX + "deal")}
    assert lists == {"materialNames": "Steel, Zinc, steel, élan, 钢", "pathwayNames": "hydrogen",
                     "partyNames": "Org Two (buyer), Org, One (buyer), Org, One (seller)",
                     "signingDates": "2023-12, 2024-01-02", "startDates": "2023, 2024-05"}
