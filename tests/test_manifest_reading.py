"""How the manifest reads the store and hashes statements (graph.changes.manifest): the fast paths
must give what the definitions give. Each row of a query is unpacked by position, each graph's
lines are grouped by bisection over one sort, and lines holding a typed literal are found by
searching the text; these tests hold each one to the plain form it replaces."""
from __future__ import annotations

import hashlib
from collections import defaultdict

import pyoxigraph as ox

from graph.changes import manifest as manifest_module
from graph.changes.manifest import AL, entities_of, make_manifest
from graph.config import TAXONOMY_NS, Settings
from graph.rdf.store import OxigraphStore

BASE = Settings().base
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
ORG = "http://www.w3.org/ns/org#Organization"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _iri(path: str) -> ox.NamedNode:
    return ox.NamedNode(BASE + path)


def _al(name: str) -> ox.NamedNode:
    return ox.NamedNode(AL + name)


def test_an_entry_takes_each_field_from_its_own_property() -> None:
    """Label, status, year, year basis, status sources and parties each from the property that
    states it (the rows are unpacked in the SELECT's order), and an alliance stating none of them."""
    source, other = _iri("source/one"), _iri("source/two")
    full, bare, change = _iri("alliance/full"), _iri("alliance/bare"), _iri("alliance/full/change/1")
    binding = ox.NamedNode(TAXONOMY_NS + "status/binding")
    facts: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal, ox.NamedNode]] = [
        (full, ox.NamedNode(RDF_TYPE), _al("Alliance"), source),
        (full, _al("displayLabel"), ox.Literal("Full \"deal\" \u00e9", language="en"), source),
        (full, _al("currentStatus"), binding, source),
        (full, _al("year"), ox.Literal("2021", datatype=ox.NamedNode(XSD + "integer")), source),
        (full, _al("yearBasis"), ox.Literal("signing date"), source),
        (full, _al("statusChange"), change, other),
        (change, _al("status"), binding, other),
        (bare, ox.NamedNode(RDF_TYPE), _al("Alliance"), source),
    ]
    for alliance, party in ((full, "org-a"), (full, "org-b"), (bare, "org-a")):
        node = ox.NamedNode(f"{alliance.value}/party/{party}")
        facts += [(alliance, _al("participation"), node, source), (node, _al("party"), _iri(f"organisation/{party}"), source)]
    facts += [(_iri(f"organisation/{name}"), ox.NamedNode(RDF_TYPE), ox.NamedNode(ORG), source) for name in ("org-a", "org-b")]
    facts.append((_iri("organisation/org-b"), _al("displayLabel"), ox.Literal("Org B"), source))
    store = OxigraphStore.in_memory()
    store._store.extend([ox.Quad(*fact) for fact in facts])

    manifest = make_manifest(store, Settings(), "1", digests={}, hashes={}, paths=[])

    entry = manifest["alliances"]["full"]
    assert (entry["label"], entry["status"], entry["year"], entry["year_basis"]) == ("Full \"deal\" \u00e9", "binding", 2021, "signing date")
    assert (entry["status_sources"], entry["parties"]) == (["two"], ["org-a", "org-b"])
    bare_entry = manifest["alliances"]["bare"]
    assert (bare_entry["label"], bare_entry["status"], bare_entry["year"], bare_entry["year_basis"]) == ("bare", None, None, None)
    organisations = manifest["organisations"]
    assert (organisations["org-a"]["label"], organisations["org-b"]["label"]) == ("org-a", "Org B")
    assert organisations["org-a"]["partners"] == {"org-b": ["full"]}
    assert organisations["org-b"]["partners"] == {"org-a": ["full"]}


def _digests_by_definition(lines: list[str], about: dict[str, frozenset[str]]) -> dict[str, str]:
    """The module docstring's definition, line by line: each entity's lines, sorted, hashed."""
    by_entity: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        subject = line[1:line.index(">")] if line.startswith("<") else ""
        for entity in entities_of(subject, BASE, about):
            by_entity[entity].append(line)
    return {entity: hashlib.sha256("\n".join(sorted(found)).encode()).hexdigest()[:32] for entity, found in sorted(by_entity.items())}


def test_digests_group_lines_by_subject_as_the_definition_does() -> None:
    """Subjects that begin alike (deal-1, deal-1/party/x, deal-10, deal-1-b, deal-1x), an entity's nodes
    and a claim about it, a blank node, an IRI outside the base, a line cut by U+2028 (a line break
    to ``str.splitlines``) and non-ASCII text, in no order."""
    claim = BASE + "claim/volume"
    literal = '"x"^^<http://www.w3.org/2001/XMLSchema#integer>'
    lines = [
        f"<{BASE}alliance/deal-10> <{AL}p> \"ten\" .",
        f"<{BASE}alliance/deal-1/party/x> <{AL}party> <{BASE}organisation/x> .",
        f"<{BASE}alliance/deal-1> <{AL}p> \"one\u2028two\" .",
        f"<{BASE}alliance/deal-1> <{AL}p> \"caf\u00e9\"@fr .",
        f"<{BASE}alliance/deal-1-b> <{AL}p> {literal} .",
        f"<{BASE}alliance/deal-1x> <{AL}p> \"after deal-1's lines\" .",
        f"<{BASE}alliance/deal-1> <{AL}p> \"a\" .",
        f"<{claim}> <{AL}about> <{BASE}alliance/deal-1> .",
        f"<{BASE}organisation/x> <{AL}p> \"x\" .",
        f"_:b0 <{AL}p> <{BASE}alliance/deal-1> .",
        f"<https://example.org/elsewhere> <{AL}p> \"e\" .",
        f"<{BASE}alliance/deal-10/party/y> <{AL}party> <{BASE}organisation/y> .",
    ]
    lines = "\n".join(lines).splitlines()  # as statement_digests reads a graph
    about = {claim: frozenset({"alliance/deal-1", "organisation/x"})}
    expected = _digests_by_definition(lines, about)
    assert set(expected) == {"alliance/deal-1", "alliance/deal-10", "alliance/deal-1-b", "alliance/deal-1x", "organisation/x"}
    assert manifest_module._digests(lines, BASE, about, {}) == expected
    assert list(manifest_module._digests(list(reversed(lines)), BASE, about, {})) == list(expected)


def test_typed_lines_are_found_in_the_text_as_a_filter_finds_them() -> None:
    """Texts whose lines are those between newlines, and texts where they are not (CR LF, U+2028,
    U+0085, no final newline), each with the mark at a line's start, end and middle."""
    mark = manifest_module.XSD_MARK
    texts = [f'<s> <p> "1{mark}integer> .\n<s> <p> "a" .\n<t> <p> "2{mark}gYear> .\n',
             f'{mark}\nplain\nend {mark}',
             f'<s> <p> "1{mark}integer> .\r\n<s> <p> "a" .\r\n',
             f'<s> <p> "a\u2028b" .\n<s> <p> "1{mark}integer> .\n',
             f'<s> <p> "a\u0085{mark}x> .\n', "", "\n\n"]
    for text in texts:
        lines = text.splitlines()
        assert manifest_module._lines_with(mark, text, lines) == [line for line in lines if mark in line], text


def test_canonical_lines_are_each_line_once_sorted() -> None:
    """A triple loaded twice counts once, whether or not the graph holds typed literals."""
    integer = f'"01"^^<{XSD}integer>'
    for extra in ("", f"<urn:s> <urn:p> {integer} .\n"):
        text = f"<urn:b> <urn:p> \"b\" .\n<urn:a> <urn:p> \"a\" .\n<urn:b> <urn:p> \"b\" .\n{extra}"
        lines = manifest_module._canonical_lines(text.encode(), {})
        assert lines == sorted(set(lines)) and len(lines) == 2 + bool(extra)
        assert (f'<urn:s> <urn:p> "1"^^<{XSD}integer> .' in lines) == bool(extra)  # the store's form of "01"


def test_an_entitys_own_nodes_and_its_claims_belong_to_it() -> None:
    """The first two steps of a path under the base name the entity; a claim's entities are
    those it is about; anything else (another kind, another base, no second step) is no entity's."""
    claim = BASE + "claim/c"
    about = {claim: frozenset({"alliance/a", "organisation/o"})}
    cases = {"alliance/a": {"alliance/a"}, "alliance/a/party/o": {"alliance/a"}, "organisation/o/": {"organisation/o"},
             "alliance//x": {"alliance/"}, "alliance": set(), "claim/c": {"alliance/a", "organisation/o"}, "source/s": set()}
    for path, entities in cases.items():
        assert entities_of(BASE + path, BASE, about) == entities, path
    assert entities_of("https://example.org/alliance/a", BASE, about) == frozenset()
