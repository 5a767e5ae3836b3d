"""The duplicate-alliance rule reads the facts only of the alliances the store suspects
(graph.validate.integrity._duplicate_suspects): on landscapes crowded with alliances that share
parties, types, titles, dates and years, it must find every problem that reading every alliance's
facts finds, word for word, and the incremental check (``_scoped_duplicates``) must agree."""
from __future__ import annotations

import random

import pytest

from graph.config import Settings
from graph.problems import Problem
from graph.rdf.store import OxigraphStore
from graph.validate.integrity import Scope, _alliance_facts, _duplicate_alliances, _duplicate_pairs, _scoped_duplicates
from graph.validate.locations import Locations

import pyoxigraph as ox

BASE = "https://w3id.org/alliance-graph/"
AL = "https://w3id.org/alliance-graph/ontology#"
PREFIXES = (f"@prefix al: <{AL}> . @prefix schema: <https://schema.org/> . "
            "@prefix skos: <http://www.w3.org/2004/02/skos/core#> . @prefix owl: <http://www.w3.org/2002/07/owl#> .\n")


def _landscape(seed: int, alliances: int = 120, organisations: int = 6, odd_party: str | None = None) -> str:
    """Turtle of alliances among few organisations, so that many share parties: two to four
    parties (sometimes one organisation twice, sometimes a party written as text), zero to two
    types, and titles, signing dates and years from short lists; some succeed or differ from
    another. ``odd_party``: a party written so in every fifth alliance (a blank node, a literal)."""
    rng = random.Random(seed)
    lines = [PREFIXES]
    for a in range(alliances):
        alliance = f"<{BASE}alliance/deal-{a}>"
        lines.append(f"{alliance} a al:Alliance .")
        parties = [f"<{BASE}organisation/org-{rng.randrange(organisations)}>" for _ in range(rng.randint(2, 4))]
        if rng.random() < 0.1:
            parties[0] = f'"{BASE}organisation/org-{rng.randrange(organisations)}"'  # the same text as an IRI
        if odd_party is not None and a % 5 == 0:
            parties[-1] = odd_party
        for index, party in enumerate(parties):
            participation = f"<{BASE}alliance/deal-{a}/participation/{index}>"
            lines.append(f"{alliance} al:participation {participation} . {participation} al:party {party} .")
        for kind in rng.sample(["mou", "supply", "jv"], rng.choice([0, 1, 1, 1, 2])):
            lines.append(f"{alliance} al:allianceType <{BASE}taxonomy/alliance-types/{kind}> .")
        if rng.random() < 0.6:
            lines.append(f'{alliance} skos:hiddenLabel "{rng.choice(["deal", "pact", "plan"])}" .')
        if rng.random() < 0.6:
            signing = f"<{BASE}alliance/deal-{a}/signing>"
            date = rng.choice(["2024-03-01", "2024-03", "--03-01", "2023"])
            lines.append(f'{alliance} al:signing {signing} . {signing} schema:startDate "{date}" .')
        if rng.random() < 0.8:
            lines.append(f'{alliance} al:year {rng.choice([2023, 2024])} .')
        if a and rng.random() < 0.15:
            link = rng.choice(["al:succeeds", "owl:differentFrom"])
            lines.append(f"{alliance} {link} <{BASE}alliance/deal-{rng.randrange(a)}> .")
    return "\n".join(lines)


def _store(turtle: str) -> OxigraphStore:
    store = OxigraphStore.in_memory()
    store.load(turtle.encode(), ox.RdfFormat.TURTLE, f"{BASE}graph/source/landscape")
    return store


def _reading_every_alliance(store: OxigraphStore, locations: Locations) -> list[Problem]:
    return list(_duplicate_pairs(store, locations, _alliance_facts(store, [""]), None))


@pytest.mark.parametrize("seed", range(6))
def test_the_suspects_hold_every_duplicate_that_reading_every_alliance_finds(seed: int) -> None:
    store, locations = _store(_landscape(seed)), Locations(Settings(), {}, {})
    expected = _reading_every_alliance(store, locations)
    assert {p.rule for p in expected} == {"alliance-unique", "likely-duplicate"}, "the landscape must be crowded, or the test proves little"
    assert list(_duplicate_alliances(store, locations)) == expected


@pytest.mark.parametrize("odd_party", ["[]", '"org-1"@en', f'"{BASE}organisation/org-2"'])
def test_a_party_that_is_a_blank_node_or_text_is_compared_as_before(odd_party: str) -> None:
    """The facts compare parties by their text (a blank node's is its label, which SPARQL cannot
    read): such a party leaves the answer as reading every alliance's facts gives it."""
    turtle = _landscape(3, odd_party=odd_party)
    if odd_party == "[]":  # one blank node shared by the alliances that name it, so that some of them share all their parties
        turtle = turtle.replace(" al:party [] .", " al:party _:shared .")
    store, locations = _store(turtle), Locations(Settings(), {}, {})
    expected = _reading_every_alliance(store, locations)
    assert expected
    assert list(_duplicate_alliances(store, locations)) == expected


def test_the_scoped_check_agrees_with_the_whole_one() -> None:
    """An incremental build checks again only the pairs with an alliance a change reaches, and
    keeps the others' problems: with every alliance reached, or some, it gives the whole answer."""
    store, locations = _store(_landscape(1)), Locations(Settings(), {}, {})
    whole = sorted(_duplicate_alliances(store, locations))
    assert whole
    touched = frozenset(f"{BASE}alliance/deal-{a}" for a in range(0, 120, 7))
    kept = [p for p in whole if not touched.intersection(p.about)]
    scoped = sorted(_scoped_duplicates(store, locations, Scope(touched, kept)))
    assert scoped == whole


def test_ids_and_parties_with_any_characters_are_compared_as_written() -> None:
    """The suspects are read from the store's rows as text (TSV): ids with letters beyond ASCII,
    escapes and query parts, and parties written as text with tabs, quotes and line breaks or as
    numbers, make the same pairs as reading every alliance's facts does."""
    parties = [f"<{BASE}organisation/énergie-Ω>", f"<{BASE}organisation/a%20b?x=1&y#z>", '"Acme\\tSteel \\"Ltd\\"\\nGmbH"', "42"]
    lines = [PREFIXES]
    for index, alliance in enumerate(["déal-😀", "déal-😀-2", "deal#3", "deal?4"]):
        iri = f"<{BASE}alliance/{alliance}>"
        lines.append(f'{iri} a al:Alliance ; skos:hiddenLabel "pact" .')
        for number, party in enumerate(parties[:2] if index < 2 else parties[2:]):
            lines.append(f"{iri} al:participation <{iri[1:-1]}/p{number}> . <{iri[1:-1]}/p{number}> al:party {party} .")
    store, locations = _store("\n".join(lines)), Locations(Settings(), {}, {})
    expected = _reading_every_alliance(store, locations)
    assert sorted(p.about for p in expected) == [(f"{BASE}alliance/deal?4", f"{BASE}alliance/deal#3"),
                                                 (f"{BASE}alliance/déal-😀-2", f"{BASE}alliance/déal-😀")]
    assert list(_duplicate_alliances(store, locations)) == expected


def test_an_alliance_that_is_a_blank_node_is_compared_as_before() -> None:
    """A subject without an IRI cannot be named to the facts' query: every alliance's facts are read."""
    parties = f"al:participation [ al:party <{BASE}organisation/org-1> ], [ al:party <{BASE}organisation/org-2> ]"
    turtle = (_landscape(2) + f'\n[] a al:Alliance ; skos:hiddenLabel "accord" ; {parties} .'
              f'\n<{BASE}alliance/accord> a al:Alliance ; skos:hiddenLabel "accord" ; {parties} .')
    store, locations = _store(turtle), Locations(Settings(), {}, {})
    expected = _reading_every_alliance(store, locations)
    assert any(p.about[0] == f"{BASE}alliance/accord" or p.about[1] == f"{BASE}alliance/accord" for p in expected)
    assert list(_duplicate_alliances(store, locations)) == expected
