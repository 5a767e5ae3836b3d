"""What a change reaches: the keys (subjects) whose derived triples a set of changed quads can change.

A derivation makes, for each key (the subject of its triples: an alliance, an organisation, a
pathway ...), triples that depend only on what its query reads from that key. Each derivation
says what that is as paths from its key (``#@reads`` lines in its ``.rq`` file, e.g.
``al:participation/al:party/al:displayLabel``): every triple along a path is read. A key's
result can change only if a quad it reads was added or removed; take such a quad nearest to
the key on its path: the steps before it were not changed, so they lead from the key to the
quad's near end (its subject on a forward step, its object on a ``^`` step) in the graph as it
is now. The keys are therefore found by walking each path backwards from the near ends of the
changed quads, for each step of each path (``keys``). Only the near end is followed, never the
far one: a changed sector of one organisation reaches its own alliances, not every steel
company through the concept ``tax:sector/steel``.

Steps: ``p`` or ``^p`` (``p`` a prefixed name or ``<iri>``, or ``(p|q)``), with ``*`` or ``+``
for a closure (every edge along it is read), and ``@graph``, from a node to each graph that
states something about it (``GRAPH ?source { ?a a al:Alliance . ?source ... }``).

Hand-written because no SPARQL library says which results an update can change; the exactness
of every derivation's paths is tested against cold builds (tests/test_build_incremental.py) and
by a check that each predicate a query reads is on one of its paths (tests/test_reach.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from graph.rdf.batches import bound_to, chunks, iri_values
from graph.rdf.namespaces import PREFIXES
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

Term = ox.NamedNode | ox.Literal | ox.BlankNode
GRAPH_STEP = "@graph"
STEP = re.compile(r"^(\^?)(@graph|\([^()]+\)|<[^<>\s]+>|[^\s()*+/^|<>]+)([*+]?)$")
BATCH = 1000  # near ends per query: a VALUES block of a few tens of kilobytes


@dataclass(frozen=True)
class Step:
    text: str  # as written: a SPARQL path element, or @graph
    predicates: frozenset[str]  # full IRIs; empty for @graph (any predicate)
    inverse: bool
    closure: bool


def expand(name: str) -> str:
    """The full IRI of a prefixed name or ``<iri>`` (``a`` is rdf:type)."""
    if name == "a":
        return PREFIXES["rdf"] + "type"
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, _, local = name.partition(":")
    if prefix not in PREFIXES or not local:
        raise ValueError(f"'{name}' is no prefixed name of graph.rdf.namespaces.PREFIXES: write it so in the #@reads path")
    return PREFIXES[prefix] + local.replace("\\", "")


def parse_path(path: str) -> tuple[Step, ...]:
    """The steps of a ``#@reads`` path (see the module docstring)."""
    steps = []
    for text in re.split(r"/(?![^()]*\))(?![^<>]*>)", path.strip()):
        match = STEP.match(text)
        if match is None:
            raise ValueError(f"'{text}' in the path '{path}' is no step: write p, ^p, (p|q), p* or p+, or @graph")
        inverse, body, closure = match.groups()
        if body == GRAPH_STEP and (inverse or closure):
            raise ValueError(f"'{text}' in the path '{path}': @graph goes forward, once")
        names = [] if body == GRAPH_STEP else body.strip("()").split("|")
        steps.append(Step(text, frozenset(expand(name.strip()) for name in names), bool(inverse), bool(closure)))
    return tuple(steps)


def reads_of(text: str) -> tuple[tuple[Step, ...], ...]:
    """The paths a query file declares (``#@reads`` lines)."""
    return tuple(parse_path(line.split("#@reads", 1)[1]) for line in text.splitlines() if line.strip().startswith("#@reads"))


class Changes:
    """Changed quads (added or removed), indexed by predicate and end, for the walk back."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self.subjects: dict[str, set[Term]] = {}
        self.objects: dict[str, set[Term]] = {}
        self.all_subjects: set[Term] = set()
        self.count = 0
        self.add(quads)

    def add(self, quads: Iterable[ox.Quad | ox.Triple]) -> None:
        for quad in quads:
            self.count += 1
            predicate = quad.predicate.value
            self.subjects.setdefault(predicate, set()).add(quad.subject)  # type: ignore[arg-type]
            self.objects.setdefault(predicate, set()).add(quad.object)  # type: ignore[arg-type]
            self.all_subjects.add(quad.subject)  # type: ignore[arg-type]

    def near_ends(self, step: Step) -> set[Term]:
        """The ends of the changed quads that ``step`` reads, on the side the walk from the key arrives at."""
        if not step.predicates:  # @graph: a quad about the node, whatever its predicate
            return set(self.all_subjects)
        index = self.objects if step.inverse else self.subjects
        return set().union(*(index.get(predicate, set()) for predicate in step.predicates))


def _pattern(steps: tuple[Step, ...]) -> str:
    """A pattern from ?key along ``steps`` to ?n (the near end), written from ?n back to ?key so that
    the store starts from the bound end."""
    names = ["?key"] + [f"?v{index}" for index in range(1, len(steps))] + ["?n"]
    parts = []
    for index in reversed(range(len(steps))):
        step, here, there = steps[index], names[index], names[index + 1]
        if step.predicates:
            parts.append(f"{here} {step.text} {there} .")
        else:
            node, other = (there, here) if step.inverse else (here, there)
            parts.append(f"GRAPH {other} {{ {node} ?p{index} ?o{index} }}")
    return "\n".join(parts)


class TooWide(Exception):
    """The keys a change reaches are too many to be worth a scoped run (the message says how many)."""


def keys(store: OxigraphStore, paths: tuple[tuple[Step, ...], ...], changes: Changes, limit: int,
         known: dict[tuple[str, frozenset[Term]], set[str]] | None = None) -> set[str]:
    """The keys whose result the changes can change (see the module docstring); TooWide past ``limit``.
    ``known`` keeps the answers of walks already made (several derivations read the same paths)."""
    known = {} if known is None else known
    found: set[str] = set()
    for path in paths:
        for index, step in enumerate(path):
            ends = changes.near_ends(step)
            if not ends:
                continue
            before = path[:index] + ((Step(f"{step.text.rstrip('*+')}*", step.predicates, step.inverse, True),)
                                     if step.closure and step.predicates else ())
            if not before:
                found |= {end.value for end in ends if isinstance(end, ox.NamedNode)}
            else:
                pattern = _pattern(before)
                walk = (pattern, frozenset(ends))
                if walk not in known:
                    known[walk] = set()
                    ordered = sorted(ends, key=str)
                    for batch in chunks(ordered, BATCH):
                        query = "SELECT DISTINCT ?key WHERE { VALUES ?n { %s }\n%s\nFILTER (isIRI(?key)) }" % (
                            " ".join(str(end) for end in batch), pattern)
                        known[walk] |= {row["key"].value for row in select(store, query)}
                found |= known[walk]
            if len(found) > limit:
                raise TooWide(f"the change reaches more than {limit} of them")
    return found


SCOPE_MARKER = re.compile(r"^[ \t]*#@scope[ \t]+(\?\w+)[ \t]*$", re.MULTILINE)


def scoped(query: str, iris: Iterable[str] | None) -> str:
    """``query`` with each ``#@scope ?var`` line made a group binding ``?var`` to ``iris``
    (graph.rdf.batches.bound_to); as it is (every key) when ``iris`` is None."""
    if iris is None:
        return query
    keys = sorted(iris)
    return SCOPE_MARKER.sub(lambda match: bound_to(match.group(1), keys), query)


def can_scope(query: str) -> bool:
    return SCOPE_MARKER.search(query) is not None
