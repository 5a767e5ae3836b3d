"""Named queries: ``.rq`` files in graph/ask/queries/, each opening with comments that state the
question and the parameters, for example::

    # question: Which organisations are partners of an organisation?
    # param: org organisation  the organisation or group, by any name, in any language
    # param: year integer = 2024  only alliances from this year on

A parameter is bound to the query variable of the same name through Oxigraph's substitutions
(never pasted into the text, so a value cannot change the query). Substitution follows SEP-0007,
which Oxigraph enforces: the variable must be in the SELECT projection (and in GROUP BY for an
aggregate query), so the bound value is also a column of the result. ``organisation``, ``alliance``,
``person``, ``material`` and ``pathway`` parameters accept any label or alias and are resolved
the way ``alliances show`` resolves names.

Fast at a million triples (``scripts/bench query``): Oxigraph evaluates a sub-query, and an OPTIONAL
or join of several patterns, on its own before joining it, over the whole graph. So a query that
asks about one entity makes every sub-query start from that entity and project its variable: the
bound parameter then restricts the sub-query too (SEP-0007 substitution reaches every sub-query
that projects the variable). A label or other value of the few entities found is matched with its
predicate in a FILTER (``?e ?labelled ?label FILTER (?labelled = al:displayLabel)``): the same
answer as ``?e al:displayLabel ?label``, in a form that is looked up per entity found instead of
read for every entity first. Both are standard SPARQL 1.1, the same on every store.
"""
from __future__ import annotations

import re
from datetime import date
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox

from graph.ask.resolve import resolve_iri
from graph.errors import AllianceError
from graph.rdf.store import GraphStore, QueryResult

QUERY_DIR = Path(__file__).with_name("queries")
PARAM_LINE = re.compile(r"^#\s*param:\s*(?P<name>\w+)\s+(?P<type>\w+)(?:\s*=\s*(?P<default>\S+))?\s*(?P<help>.*)$")
# Parameter types whose values are names, resolved to IRIs (the command line and the explorer alike).
ENTITY_PARAM_TYPES = ("organisation", "alliance", "person", "material", "pathway", "status")
PARAM_TYPES = ENTITY_PARAM_TYPES + ("string", "integer", "date")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None
    help: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    question: str
    parameters: tuple[Parameter, ...]
    text: str
    path: Path
    examples: tuple[str, ...] = field(default=())


def _parse(path: Path) -> NamedQuery:
    question, params, examples = "", [], []
    text = path.read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith("# question:"):
            question = line.split(":", 1)[1].strip()
        elif match := PARAM_LINE.match(line):
            if match["type"] not in PARAM_TYPES:
                raise AllianceError(f"{path}: parameter type '{match['type']}' is not one of {', '.join(PARAM_TYPES)}")
            params.append(Parameter(match["name"], match["type"], match["default"], match["help"].strip()))
        elif line.startswith("# example:"):
            examples.append(line.split(":", 1)[1].strip())
    if not question:
        raise AllianceError(f"{path}: a named query must open with '# question: ...'")
    return NamedQuery(path.stem, question, tuple(params), text, path, tuple(examples))


@lru_cache(maxsize=1)
def named_queries() -> dict[str, NamedQuery]:
    """Every named query, by name (the file name without .rq)."""
    return {path.stem: _parse(path) for path in sorted(QUERY_DIR.glob("*.rq"))}


def get_query(name: str) -> NamedQuery:
    queries = named_queries()
    if name not in queries:
        import difflib
        near = difflib.get_close_matches(name, list(queries), n=3)
        hint = f" Did you mean: {', '.join(near)}?" if near else ""
        raise AllianceError(f"No named query '{name}'.{hint} List them with: alliances query --list")
    return queries[name]


def bind(store: GraphStore, query: NamedQuery, values: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
    """Check and convert the given parameter values; names are resolved to IRIs."""
    unknown = set(values) - {p.name for p in query.parameters}
    if unknown:
        known = ", ".join(p.name for p in query.parameters) or "none"
        raise AllianceError(f"query '{query.name}' has no parameter {', '.join(sorted(unknown))} (its parameters: {known})")
    bound: dict[str, ox.NamedNode | ox.Literal] = {}
    for param in query.parameters:
        raw = values.get(param.name, param.default)
        if raw is None:
            raise AllianceError(f"query '{query.name}' needs --param {param.name}=... ({param.help or param.type})")
        if param.type in ENTITY_PARAM_TYPES:
            bound[param.name] = ox.NamedNode(resolve_iri(store, raw, param.type))
        elif param.type == "integer":
            if not re.fullmatch(r"-?\d+", raw):
                raise AllianceError(f"--param {param.name}={raw}: give a whole number")
            bound[param.name] = ox.Literal(raw, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        elif param.type == "date":
            try:
                date.fromisoformat(raw)
            except ValueError:
                raise AllianceError(f"--param {param.name}={raw}: give a date as YYYY-MM-DD") from None
            bound[param.name] = ox.Literal(raw, datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
        else:
            bound[param.name] = ox.Literal(raw)
    return bound


def run_sparql(store: GraphStore, sparql: str, substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult:
    """Run SPARQL with the project's prefixes predeclared; a syntax error becomes a clear message."""
    try:
        return store.query(sparql, substitutions)
    except SyntaxError as error:
        raise AllianceError(f"SPARQL syntax error: {error}") from None


def run_named(store: GraphStore, name: str, values: dict[str, str] | None = None) -> QueryResult:
    query = get_query(name)
    try:
        return run_sparql(store, query.text, bind(store, query, values or {}))
    except RuntimeError as error:
        if "SELECT projection" in str(error):
            raise AllianceError(f"{query.path.name}: every parameter variable must be selected ({error})") from None
        raise
