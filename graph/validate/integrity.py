"""Integrity rules SHACL cannot express: references across files, facts outside source graphs,
names that point at two organisations, one deal recorded as two alliances, one page recorded as
two sources, and the organisations the ranking of the largest producers names.
"""
from __future__ import annotations

import difflib
from urllib.parse import urlsplit
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING
from collections.abc import Iterator

import pyoxigraph as ox

from graph.config import Settings
from graph.problems import Problem, Severity
from graph.rdf.batches import bound_to, chunks
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore
from graph.records.read import RecordProblems
from graph.records.reference import read_largest_producers, unknown_organisations
from graph.records.taxonomy import Taxonomy
from graph.validate.locations import Locations

if TYPE_CHECKING:
    from graph.build.pipeline import Compiled

SHARED_ALIASES = """
SELECT ?label ?org ?g WHERE {
  { SELECT ?label WHERE { ?o a org:Organization ; skos:hiddenLabel ?label }
    GROUP BY ?label HAVING (COUNT(DISTINCT ?o) > 1) }
  GRAPH ?g { ?org skos:hiddenLabel ?label }
  ?org a org:Organization .
} ORDER BY ?label ?org ?g
"""

# The organisations that have a name (as normalised: skos:hiddenLabel), and those of given names;
# the %s is a VALUES clause.
ALIASES_OF = "SELECT DISTINCT ?org ?label WHERE { %s ?org a org:Organization ; skos:hiddenLabel ?label }"
# Where each organisation of a name states it.
ALIAS_PLACES = "SELECT ?label ?org ?g WHERE { %s GRAPH ?g { ?org skos:hiddenLabel ?label } ?org a org:Organization }"

TWO_PREFERRED_NAMES = """
SELECT DISTINCT ?entity ?first ?second ?g WHERE { %s
  ?entity skos:prefLabel ?first , ?second .
  FILTER (LANG(?first) = LANG(?second) && STR(?first) < STR(?second))
  GRAPH ?g { ?entity skos:prefLabel ?second }
}
"""


ALLIANCE_KEYS = """
SELECT DISTINCT ?alliance ?type ?party ?date ?title ?year ?other WHERE {
  %s
  ?alliance a al:Alliance .
  OPTIONAL { ?alliance al:allianceType ?type }
  OPTIONAL { ?alliance al:participation/al:party ?party }
  OPTIONAL { ?alliance al:signing/schema:startDate ?date }
  OPTIONAL { ?alliance skos:hiddenLabel ?title }
  OPTIONAL { ?alliance al:year ?year }
  OPTIONAL { ?alliance al:succeeds|^al:succeeds|owl:differentFrom|^owl:differentFrom ?other }
}"""


# The alliances a set of nodes reaches: those nodes, and the alliances whose participations,
# signing or announcement (nodes of their own, which ALLIANCE_KEYS and al:year read) they are.
ALLIANCES_REACHED = """
SELECT DISTINCT ?alliance WHERE {
  { %(alliances)s ?alliance a al:Alliance }
  UNION { %(nodes)s ?alliance al:participation ?node }
  UNION { %(nodes)s ?alliance al:signing ?node }
  UNION { %(nodes)s ?alliance al:announcement ?node }
}"""
# The alliances that share a party with the given ones (they themselves among them), and which of
# their parties they share.
SHARING_A_PARTY = """
SELECT DISTINCT ?other ?party WHERE {
  %s
  ?alliance al:participation ?mine . ?mine al:party ?party .
  ?theirs al:party ?party . ?other al:participation ?theirs .
}"""
DUPLICATE_RULES = ("alliance-unique", "likely-duplicate")


@dataclass
class Scope:
    """An incremental build's change, for the checks that can be limited to it: ``touched`` are
    the IRIs that the changed sources' graphs, before and after the change, and the derived
    triples that changed, state something about or point at; ``previous`` are the previous
    build's problems; ``described`` are the IRIs whose own statements changed (the
    subjects of the source quads and derived triples added or removed: what the shapes look at),
    None if not known.

    Every statement added or removed is about a touched IRI, and every place (file and line) of
    a changed file is of one: what a check finds about IRIs none of which is touched is what it
    found before. Each scoped rule rests on that."""

    touched: frozenset[str]
    previous: list[Problem]
    retyped: frozenset[str] = frozenset()  # IRIs whose rdf:type changed
    described: frozenset[str] | None = None


def integrity_problems(store: OxigraphStore, settings: Settings, taxonomy: Taxonomy, compiled: Compiled,
                       locations: Locations, scope: Scope | None = None, early: list[Problem] | None = None) -> list[Problem]:
    """Every rule on the whole graph, or, with ``scope``, the names, preferred names, pages and
    duplicate alliances only for what the change reaches, the previous problems of the rest kept
    (each on the whole graph cost 0.3-0.8 s at a million triples). A verdict can move far from
    the change (a removed name makes another organisation's name unique; a page added in one file
    collides with a source in another): each scoped rule follows its entities from the change to
    every entity whose verdict it can move (their names, pages, parties), and a previous problem
    names the entities it involves (``Problem.about``) so that it goes when one of them is checked
    again. ``early``: what ``early_problems`` found already (not found again: 0.5 s at a million triples)."""
    problems = early_problems(taxonomy, compiled) if early is None else list(early)
    problems += _facts_outside_source_graphs(store, settings)
    if scope is None:
        problems += _shared_aliases(store, locations)
        problems += _two_preferred_names(store, locations)
        problems += _duplicate_alliances(store, locations)
        problems += _one_page_one_source(store, locations)
    else:
        problems += _scoped_aliases(store, locations, scope)
        problems += _scoped_preferred_names(store, locations, scope)
        problems += _scoped_duplicates(store, locations, scope)
        problems += _scoped_pages(store, locations, scope)
    problems += _ranking_problems(settings, compiled)
    return problems


def _kept(scope: Scope, rule: str, checked: set[str], named: int | None = None) -> list[Problem] | None:
    """The previous problems of ``rule`` about none of ``checked`` (``about[0]``: the entity a
    problem is placed at; those are found again); None if one names no entity (or not ``named``
    of them): a state that cannot be followed, so the rule runs whole."""
    previous = [p for p in scope.previous if p.rule == rule]
    if any(not p.about or (named is not None and len(p.about) != named) for p in previous):
        return None
    return [p for p in previous if p.about[0] not in checked]


def _involved(scope: Scope, rule: str) -> set[str]:
    """The touched IRIs and every entity a previous problem of ``rule`` names with one of them:
    a touched entity that leaves a group (a name, a page) moves the others' verdicts."""
    involved = set(scope.touched)
    for problem in scope.previous:
        if problem.rule == rule and scope.touched.intersection(problem.about):
            involved.update(problem.about)
    return involved


def early_problems(taxonomy: Taxonomy, compiled: Compiled) -> list[Problem]:
    """The rules that need only what the records declare and use, not the graph: known as soon
    as every file is read."""
    return list(_unresolved_references(taxonomy, compiled)) + list(_repeated_entries(compiled))


SOURCE_URLS = """SELECT ?g ?url WHERE { %s ?g a schema:CreativeWork ; schema:url ?url }"""
# Above this many pages, the scoped check reads every page's address instead of filtering (a filter per page).
PAGES_FILTERED = 64


def page_key(url: str) -> str:
    """A page's address with what does not change the page folded: scheme, 'www.', case of the
    host, a final slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return f"{host}{port}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


def _one_page_one_source(store: OxigraphStore, locations: Locations) -> Iterator[Problem]:
    """A page read twice is one source: two files for it would count it twice as corroboration."""
    yield from _page_problems(locations, {(row["g"].value, row["url"].value) for row in select(store, SOURCE_URLS % "")})


def _page_problems(locations: Locations, pages: set[tuple[str, str]]) -> Iterator[Problem]:
    """Each source after the first (in IRI order) of ``pages`` (source, address) whose page is one."""
    first: dict[str, str] = {}
    for source, url in sorted(pages):
        key = page_key(url)
        if key in first:
            file, line = locations.of(source)
            other_file, other_line = locations.of(first[key])
            yield Problem(file, line, "one-file-per-page", f"the page {url} is already the source of {other_file}:{other_line}",
                          "merge the two files into one (one file is one page) and delete the other", about=(source, first[key]))
        else:
            first[key] = source


def _scoped_pages(store: OxigraphStore, locations: Locations, scope: Scope) -> Iterator[Problem]:
    """``_one_page_one_source`` after a change: the pages of the involved sources (``_involved``)
    and every source of one of those pages, until no new page comes (a source found may have a
    second address), checked again; the previous problems of the other sources kept. A source not
    reached has the address it had, and so have the others of its page: one that came or went
    would be touched, and would have been found by its page or named by the previous problem.
    Another source's address of the same page is found by a filter on the host and path (an
    address holds no white space, the record schema says, so those are parts of it)."""
    checked = _involved(scope, "one-file-per-page")
    if _kept(scope, "one-file-per-page", checked, named=2) is None:
        yield from _one_page_one_source(store, locations)
        return
    pages: set[tuple[str, str]] = set()
    keys: set[str] = set()
    asked: set[str] = set()
    while checked - asked:
        new = sorted(checked - asked)
        asked.update(new)
        urls = {row["url"].value for batch in chunks(new, 500) for row in select(store, SOURCE_URLS % bound_to("?g", batch))}
        urls = {url for url in urls if page_key(url) not in keys}
        if not urls:
            break
        keys |= {page_key(url) for url in urls}
        for row in select(store, SOURCE_URLS % _like(urls) if len(urls) <= PAGES_FILTERED else SOURCE_URLS % ""):
            if page_key(row["url"].value) in keys:
                pages.add((row["g"].value, row["url"].value))
                checked.add(row["g"].value)
    yield from _kept(scope, "one-file-per-page", checked) or []
    yield from _page_problems(locations, pages)


def _like(urls: set[str]) -> str:
    """A FILTER that keeps every address ``page_key`` can make one with one of ``urls``: those that
    hold its host (in any case) and its path (``page_key`` folds only case, 'www.', scheme, port
    80/443 and a final slash of the host and the path)."""
    tests = []
    for url in sorted(urls):
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().removeprefix("www.")
        tests.append(f"(CONTAINS(LCASE(STR(?url)), {ox.Literal(host)}) && CONTAINS(STR(?url), {ox.Literal(parts.path.rstrip('/'))}))")
    return f"FILTER ({' || '.join(tests)})"


def _ranking_problems(settings: Settings, compiled: Compiled) -> list[Problem]:
    """The largest-producers list (data/reference/) is read and its organisations resolved, when
    all records are compiled (a few chosen files do not define every organisation it names)."""
    if not compiled.whole:
        return []
    try:
        ranking = read_largest_producers(settings.data_dir)
    except RecordProblems as error:
        return error.problems
    if ranking is None:
        return []
    return unknown_organisations(ranking, {ident for kind, ident, _, _ in compiled.declared if kind == "organisation"})


def _unresolved_references(taxonomy: Taxonomy, compiled: Compiled) -> Iterator[Problem]:
    declared: dict[str, set[str]] = {}
    for kind, ident, _, _ in compiled.declared:
        declared.setdefault(kind, set()).add(ident)
    for scheme, idents in taxonomy.concepts.items():
        declared[f"concept:{scheme}"] = set(idents)
    for ref in compiled.unsettled_references:
        if any(ref.ident in declared.get(kind, ()) for kind in ref.kinds):
            continue
        candidates = sorted(set().union(*(declared.get(kind, set()) for kind in ref.kinds)))
        near = difflib.get_close_matches(ref.ident, candidates, n=3, cutoff=0.5)
        kind = " or ".join(k.replace("concept:", "") for k in ref.kinds)
        if ref.kinds[0].startswith("concept:"):
            scheme = ref.kinds[0].removeprefix("concept:")
            fix = f"use an id of the scheme '{scheme}' (ontology/taxonomies/)"
            if not near:
                fix += ": " + ", ".join(candidates)
        else:
            fix = f"define it under the record's '{ref.kinds[0]}s' list or correct the id"
        if near:
            fix += f"; did you mean {', '.join(near)}?"
        yield Problem(ref.file, ref.line, "reference-resolves", f"{ref.field}: no {kind} has the id '{ref.ident}'", fix)


def _repeated_entries(compiled: Compiled) -> Iterator[Problem]:
    """One file may describe an entity once; several files may each describe it."""
    counts = Counter((kind, ident, file) for kind, ident, file, _ in compiled.declared)
    for kind, ident, file, line in compiled.declared:
        if counts[(kind, ident, file)] > 1:
            yield Problem(file, line, "entry-once-per-file", f"{kind} '{ident}' is described more than once in this file",
                          "merge the entries into one")


def _facts_outside_source_graphs(store: OxigraphStore, settings: Settings) -> Iterator[Problem]:
    allowed = {settings.graph_iri(name) for name in ("ontology", "taxonomies", "derived")}
    sources = {g for g in store.named_graphs() if g.startswith(settings.entity_iri("source", ""))}
    for graph in store.named_graphs():
        if graph not in allowed and graph not in sources:
            yield Problem("(built graph)", 0, "fact-in-source-graph", f"graph <{graph}> is neither a source nor a vocabulary graph",
                          "write facts only through records in data/sources/")
    # A store that holds the merge as its default graph is an incremental build's copy, which
    # refuses records' quads outside named graphs before loading them (graph.build.incremental).
    if not store.holds_merge and not store.default_graph_is_empty():
        yield Problem("(built graph)", 0, "fact-in-source-graph", "some triples sit outside every source graph",
                      "write facts only through records in data/sources/")


def _shared_aliases(store: OxigraphStore, locations: Locations) -> Iterator[Problem]:
    rows = [(row["label"].value, row["org"].value, row["g"].value) for row in select(store, SHARED_ALIASES)]
    owners: dict[str, set[str]] = {}
    for label, org, _ in rows:
        owners.setdefault(label, set()).add(org)
    yield from _alias_problems(locations, rows, owners)


def _alias_problems(locations: Locations, rows: list[tuple[str, str, str]], owners: dict[str, set[str]]) -> Iterator[Problem]:
    """A problem for each (name, organisation, graph) of ``rows`` whose name ``owners`` gives to
    more than one organisation; it names them all (``about``)."""
    for label, org, graph in rows:
        others = sorted(owners[label] - {org})
        if not others:
            continue
        file, line = locations.of(org, graph)
        yield Problem(file, line, "alias-unique",
                      f"the name '{label}' (as normalised) of {locations.kind_and_id(org)} also names "
                      f"{', '.join(sorted({locations.kind_and_id(other) for other in others}))}",
                      "keep the name on one organisation; if they are the same, use one id", about=(org, *others))


def _scoped_aliases(store: OxigraphStore, locations: Locations, scope: Scope) -> Iterator[Problem]:
    """``_shared_aliases`` after a change: the names of the involved organisations (``_involved``)
    and of every organisation that has one of those names, until no new one comes, checked
    again; the previous problems of the others kept. An organisation not reached has the names it
    had, and each of its names the organisations it had: one that took the name would have been
    found by it, one that dropped it is touched and named by the previous problem."""
    checked = _involved(scope, "alias-unique")
    if _kept(scope, "alias-unique", checked) is None:
        yield from _shared_aliases(store, locations)
        return
    owners: dict[str, set[str]] = {}
    labels: dict[str, str] = {}  # name -> the name as a SPARQL term
    asked: set[str] = set()
    while checked - asked:
        new = sorted(checked - asked)
        asked.update(new)
        found = {row["label"].value: str(row["label"]) for batch in chunks(new, 500)
                 for row in select(store, ALIASES_OF % bound_to("?org", batch))}
        found = {label: term for label, term in found.items() if label not in labels}
        labels.update(found)
        for batch in chunks(sorted(found.values()), 500):
            for row in select(store, ALIASES_OF % f"VALUES ?label {{ {' '.join(batch)} }}"):
                owners.setdefault(row["label"].value, set()).add(row["org"].value)
                checked.add(row["org"].value)
    yield from _kept(scope, "alias-unique", checked) or []  # of the organisations not found above
    shared = sorted(term for label, term in labels.items() if len(owners.get(label, ())) > 1)
    rows = [(row["label"].value, row["org"].value, row["g"].value) for batch in chunks(shared, 500)
            for row in select(store, ALIAS_PLACES % f"VALUES ?label {{ {' '.join(batch)} }}")]
    yield from _alias_problems(locations, rows, owners)


def _two_preferred_names(store: OxigraphStore, locations: Locations, restriction: str = "") -> Iterator[Problem]:
    """Two preferred names in one language for one entity (in any files); ``restriction`` limits the entities."""
    for row in select(store, TWO_PREFERRED_NAMES % restriction):
        entity, graph = row["entity"].value, row["g"].value
        file, line = locations.of(entity, graph)
        yield Problem(file, line, "one-preferred-name", f"{locations.kind_and_id(entity)} has two preferred "
                      f"'{row['first'].language}' names: '{row['first'].value}' and '{row['second'].value}'",
                      "keep one as label in one file and list the other under aliases",
                      Severity.VIOLATION, (entity,))


def _scoped_preferred_names(store: OxigraphStore, locations: Locations, scope: Scope) -> Iterator[Problem]:
    """``_two_preferred_names`` after a change: only the touched entities checked again (an
    entity's preferred names and their places are its own statements), the others' problems kept."""
    kept = _kept(scope, "one-preferred-name", set(scope.touched))
    if kept is None:
        yield from _two_preferred_names(store, locations)
        return
    yield from kept
    for batch in chunks(sorted(scope.touched), 500):
        yield from _two_preferred_names(store, locations, bound_to("?entity", batch))


def _duplicate_alliances(store: OxigraphStore, locations: Locations) -> Iterator[Problem]:
    """Two ids for one agreement. Same type and parties with the same title or signing date is a
    violation; with only the same year it is a likely duplicate (a second report of one deal written
    as a second alliance), a warning until the records link them (succeeds:) or say they differ
    (distinct_from:).

    Only the alliances that the store finds may share their parties with another
    (``_duplicate_suspects``) have their facts read: at 1.38 million triples, reading every
    alliance's facts took 12.7 s."""
    suspects = _duplicate_suspects(store)
    if suspects is None:
        facts = _alliance_facts(store, [""])
    else:
        facts = _alliance_facts(store, [bound_to("?alliance", batch) for batch in chunks(sorted(suspects), 500)])
    yield from _duplicate_pairs(store, locations, facts, None)


def _scoped_duplicates(store: OxigraphStore, locations: Locations, scope: Scope) -> Iterator[Problem]:
    """The duplicate-alliance problems after a change: the previous ones between two alliances the
    change does not reach (named by ``Problem.about``; their facts and places are the same; if a
    previous one does not name its pair, the check runs whole), and those of every pair with
    one it reaches, checked again. An alliance is reached if it is a touched node or its
    participation, signing or announcement is: its facts (type, parties, dates, title, links, and
    al:year, derived from its dates and the publication date of the sources that describe it:
    graph/build/derivations/alliance-year.rq) are stated about it or those nodes, so an alliance
    not reached keeps them. Its duplicates have its parties (``_same_parties``). (A source's publication date
    stated in another source's file would escape this; records state only their own.)"""
    reached: set[str] = set()
    for batch in chunks(sorted(scope.touched), 500):
        reached |= {row["alliance"].value for row in select(store, ALLIANCES_REACHED % {"alliances": bound_to("?alliance", batch), "nodes": bound_to("?node", batch)})}
    related = _same_parties(store, reached)
    previous = [p for p in scope.previous if p.rule in DUPLICATE_RULES]
    if any(len(p.about) != 2 for p in previous):  # a problem that does not name its pair: check whole
        yield from _duplicate_alliances(store, locations)
        return
    gone = scope.touched | reached
    yield from (p for p in previous if not gone.intersection(p.about))
    if related:
        facts = _alliance_facts(store, [bound_to("?alliance", batch) for batch in chunks(sorted(related), 500)])
        yield from _duplicate_pairs(store, locations, facts, reached)


def _same_parties(store: OxigraphStore, alliances: set[str]) -> set[str]:
    """The alliances whose parties are those of one of ``alliances`` (these among them, if they have
    parties): the only ones that can be in a pair with one of them (``_duplicate_pairs`` groups
    by parties). Not every alliance that shares one party: a change of 100 files reached 500
    alliances, which shared a party with 9,050, whose facts took 1.9 s to read. An alliance with
    the parties S of one of ``alliances`` shares each of them with it: those whose shared parties
    are such an S are read whole, and kept if they have no other."""
    def parties(query: str, variable: str, of: set[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for batch in chunks(sorted(of), 500):
            for row in select(store, query % bound_to(variable, batch)):  # an alliance and a party, by index
                found.setdefault(row[0].value, set()).add(row[1].value)
        return found

    shared = parties(SHARING_A_PARTY, "?alliance", alliances)
    wanted = {frozenset(shared[alliance]) for alliance in alliances if alliance in shared}  # its own parties, all shared with itself
    candidates = {other for other, some in shared.items() if frozenset(some) in wanted}
    return {other for other, every in parties(PARTIES_OF, "?alliance", candidates).items() if frozenset(every) in wanted}


def _alliance_facts(store: OxigraphStore, restrictions: list[str]) -> dict[str, dict[str, set[str]]]:
    facts: dict[str, dict[str, set[str]]] = {}
    rows = (row for restriction in restrictions for row in select(store, ALLIANCE_KEYS % restriction))
    for row in rows:
        entry = facts.setdefault(row["alliance"].value,
                                 {"type": set(), "party": set(), "date": set(), "title": set(), "year": set(), "other": set()})
        for key in entry:
            if row[key] is not None:
                entry[key].add(row[key].value)
    return facts


# Each subject's parties, through its participations. The store joins them (0.7 s at 1.49 million
# triples) and writes the rows as TSV: a term object for each of the 70,000 rows cost 1.3 s, not 0.9.
PARTIES = "SELECT ?alliance ?party WHERE { ?alliance al:participation ?participation . ?participation al:party ?party }"
# The same for the parties that are not IRIs, which TSV writes in forms of their own.
OTHER_PARTIES = PARTIES.removesuffix(" }") + " FILTER (!isIRI(?party)) }"
# The same, of some alliances (a group from graph.rdf.batches.bound_to in place of the %s).
PARTIES_OF = PARTIES.replace("WHERE {", "WHERE { %s", 1)


def _duplicate_suspects(store: OxigraphStore) -> set[str] | None:
    """The alliances that have the parties of another (two or more; compared by their texts, as
    the facts compare them), so that only theirs are read, not every alliance's facts (which
    decide, types included). None (suspect every alliance) if a subject or party is a blank node.

    The store grouping the subjects by their parties' count, least and greatest text took 2.4-2.9 s
    of CPU at 1.49 million triples (each party's text read for each of 70,000 rows); the rows,
    grouped here, 1.3 s."""
    parties: dict[str, set[str]] = {}
    odd = False  # a party that is not an IRI: read from OTHER_PARTIES
    rows = select(store, PARTIES).serialize(format=ox.QueryResultsFormat.TSV) or b""
    for line in rows.decode().split("\n")[1:]:  # after the header
        if not line:
            continue
        alliance, party = line.split("\t")
        if not alliance.startswith("<"):
            return None
        if party.startswith("<"):
            parties.setdefault(alliance[1:-1], set()).add(party[1:-1])
        else:
            odd = True
    for row in select(store, OTHER_PARTIES) if odd else ():
        subject, term = row["alliance"], row["party"]
        if not isinstance(subject, ox.NamedNode) or not isinstance(term, ox.Literal):
            return None
        parties.setdefault(subject.value, set()).add(term.value)
    alike: dict[frozenset[str], list[str]] = {}
    for alliance, texts in parties.items():
        if len(texts) > 1:
            alike.setdefault(frozenset(texts), []).append(alliance)
    return {alliance for members in alike.values() if len(members) > 1 for alliance in members}


def _duplicate_pairs(store: OxigraphStore, locations: Locations, facts: dict[str, dict[str, set[str]]],
                     reached: set[str] | None) -> Iterator[Problem]:
    """The problems of the pairs among ``facts`` (only those with a member in ``reached``, if given)."""
    groups: dict[tuple[frozenset[str], frozenset[str]], list[str]] = {}
    for alliance, entry in sorted(facts.items()):
        if len(entry["party"]) >= 2:
            groups.setdefault((frozenset(entry["type"]), frozenset(entry["party"])), []).append(alliance)
    for members in groups.values():
        for index, first in enumerate(members):
            for second in members[index + 1:]:
                if second in facts[first]["other"] or (reached is not None and first not in reached and second not in reached):
                    continue
                same_title = facts[first]["title"] & facts[second]["title"]
                same_date = {d for d in facts[first]["date"] & facts[second]["date"] if not d.startswith("--")}
                same_year = facts[first]["year"] & facts[second]["year"]
                if not (same_title or same_date or same_year):
                    continue
                file, line = locations.of(second)
                other_file, other_line = locations.of(first)
                pair = (second, first)
                if same_title or same_date:
                    why = f"the title '{sorted(same_title)[0]}'" if same_title else f"the signing date {sorted(same_date)[0]}"
                    yield Problem(file, line, "alliance-unique",
                                  f"{locations.kind_and_id(second)} has the type, the parties and {why} of "
                                  f"{locations.kind_and_id(first)} ({other_file}:{other_line})",
                                  "if it is the same agreement, use one id in both files; if it is a later stage, say so with succeeds:",
                                  about=pair)
                else:
                    yield Problem(file, line, "likely-duplicate",
                                  f"{locations.kind_and_id(second)} has the type, the parties and the year ({sorted(same_year)[0]}) of "
                                  f"{locations.kind_and_id(first)} ({other_file}:{other_line}): two reports of one deal?",
                                  "if it is the same deal, use one id in both files (the second source corroborates it); "
                                  "if it is a later stage, add succeeds:; if they are different deals, add distinct_from: to one of them",
                                  Severity.WARNING, pair)
