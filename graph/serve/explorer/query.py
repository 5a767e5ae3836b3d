"""``GET /query``: a SPARQL editor whose queries run at ``/sparql`` (fetched by the page itself;
the server never runs a query a user typed), with the named queries as ready examples.

A named query takes its parameters through Oxigraph substitutions, which the SPARQL protocol has
no place for. Its example here binds each parameter with a ``VALUES`` clause at the start of the
outer WHERE instead, resolved on the server from the query's first ``# example:`` line (``org=河钢``
becomes ``VALUES ?org { <…/organisation/hbis> }``), and declares the prefixes it uses, which
the command line predeclares. The result is the same as ``alliances query NAME --param ...``.
"""
from __future__ import annotations

import re
import shlex
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from graph.config import TAXONOMY_NS
from graph.errors import AllianceError
from graph.rdf.formats import GRAPHS, RESULTS, Format
from graph.rdf.namespaces import PREFIXES
from graph.rdf.sparql_text import insert, undeclared_prefixes, where_body_offset
from graph.ask.query import ENTITY_PARAM_TYPES, NamedQuery, Parameter, named_queries
from graph.ask.resolve import resolve
from graph.serve.explorer.render import TAXONOMY_KINDS, Links, render_page

ENTITY_PARAMS = ENTITY_PARAM_TYPES
# The page's download buttons: each results format, and the graph formats of triples (a CONSTRUCT gives triples).
DOWNLOADS: dict[str, Sequence[Format[Any]]] = {"resultFormats": RESULTS, "graphFormats": [f for f in GRAPHS if not f.keeps_graphs]}
STARTER = """# Alliances with their titles and types, as pages show them (al:displayLabel). Run with Ctrl+Enter.
PREFIX al: <https://w3id.org/alliance-graph/ontology#>

SELECT ?alliance ?title ?type WHERE {
  ?alliance a al:Alliance ; al:displayLabel ?title .
  OPTIONAL { ?alliance al:allianceType/al:displayLabel ?type }
}
ORDER BY ?title
LIMIT 100
"""


@dataclass
class Binding:
    name: str
    type: str
    given: str  # as typed on the command line, e.g. 河钢
    term: str  # as written in SPARQL, e.g. <https://…/organisation/hbis>
    label: str


@dataclass
class Example:
    name: str
    question: str
    text: str
    command: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    problem: str | None = None


def sparql_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def example_values(command: str) -> dict[str, str]:
    """The parameter values an example command gives: ``--param org=河钢`` -> {'org': '河钢'}."""
    values: dict[str, str] = {}
    words = shlex.split(command)
    for index, word in enumerate(words):
        if word == "--param" and index + 1 < len(words) and "=" in words[index + 1]:
            name, _, value = words[index + 1].partition("=")
            values[name] = value
    return values


def bind_parameter(store: Any, param: Parameter, given: str, base: str) -> Binding:
    if param.type in ENTITY_PARAMS:
        match = resolve(store, given, param.type, base=base)
        return Binding(param.name, param.type, given, f"<{match.iri}>", match.label)
    if param.type == "integer":
        if not re.fullmatch(r"-?\d+", given):
            raise AllianceError(f"{param.name}={given}: not a whole number")
        return Binding(param.name, param.type, given, given, given)
    return Binding(param.name, param.type, given, sparql_string(given), given)


def with_values(text: str, bindings: list[Binding]) -> str:
    """The query text with the prefixes it uses declared and each binding as a VALUES clause at
    the start of its WHERE clause (found on graph.rdf.sparql_text's tokens: a WHERE or a brace in a
    string, an IRI or a comment is not taken for code). The header comment stays on top."""
    lines = text.splitlines()
    head = 0
    while head < len(lines) and lines[head].lstrip().startswith("#"):
        head += 1
    header, body = "\n".join(lines[:head]), "\n".join(lines[head:])
    if bindings:
        offset = where_body_offset(body)
        if offset is None:
            raise AllianceError("the query has no WHERE { to bind its parameters in")
        values = "".join(f"\n  VALUES ?{b.name} {{ {b.term} }}  # {_comment(b.name)}={_comment(b.given)}" for b in bindings)
        if body[offset:offset + 1] not in ("\n", "\r"):  # the comment must not swallow code after the brace
            values += "\n"
        body = insert(body, [(offset, values)])
    used = set(undeclared_prefixes(body))
    declared = "\n".join(f"PREFIX {name}: <{PREFIXES[name]}>" for name in PREFIXES if name in used)
    parts = [header] if header else []
    parts += [declared, ""] if declared else []
    return "\n".join(parts + [body.strip("\n")]) + "\n"


def _comment(text: str) -> str:
    """Text for a comment: a line break would end it and turn the rest into code."""
    return text.replace("\r", " ").replace("\n", " ")


def prepare_example(store: Any, query: NamedQuery, base: str) -> Example:
    """The query ready for /sparql, bound with the first of its example commands whose values
    resolve (a name may become ambiguous as the data grows; the next example then serves)."""
    parameters = [{"name": p.name, "type": p.type, "help": p.help, "default": p.default} for p in query.parameters]
    commands = list(query.examples) or [f"alliances query {query.name}"]
    problem = None
    for command in commands:
        values = example_values(command)
        try:
            bindings = []
            for param in query.parameters:
                given = values.get(param.name, param.default)
                if given is None:
                    raise AllianceError(f"no example value for the parameter {param.name}")
                bindings.append(bind_parameter(store, param, given, base))
            return Example(query.name, query.question, with_values(query.text, bindings), command, parameters, bindings)
        except AllianceError as error:
            problem = problem or f"Set the parameters yourself: {error}"
    return Example(query.name, query.question, with_values(query.text, []), commands[0], parameters, [], problem)


class QueryPage:
    def __init__(self, store: Any, base: str) -> None:
        self.store, self.base = store, base
        self._examples: tuple[Any, list[Example]] | None = None  # (build folder, its examples)
        self._lock = threading.Lock()

    def examples(self) -> list[Example]:
        """The named queries with values from the published build (read again after a build)."""
        with self._lock:
            folder = self.store.folder
            if self._examples is None or self._examples[0] != folder:
                self._examples = (folder, [prepare_example(self.store, q, self.base) for q in named_queries().values()])
            return self._examples[1]

    def page(self, request: Request) -> Response:
        links = Links.of(request, self.base)
        examples = self.examples()
        chosen = request.query_params.get("example", "")
        typed = request.query_params.get("query")
        if typed is not None:
            initial = {"query": typed[:100_000]}
        elif any(e.name == chosen for e in examples):
            initial = {"example": chosen}
        else:
            initial = {"query": STARTER}
        config = {
            "sparql": links.page("/sparql"), "network": links.page("/network"), "root": links.root,
            "base": self.base, "taxonomy": TAXONOMY_NS, "prefixes": PREFIXES,
            "organisationPrefix": f"{self.base}organisation/",
            **{key: [{"key": f.name, "label": f.label, "media": f.media_type, "extension": f.extension} for f in formats]
               for key, formats in DOWNLOADS.items()},
            "examples": [asdict(e) for e in examples], "initial": initial,
        }
        return render_page(request, "query.html.j2", links, examples=examples, config=config,
                           taxonomy_kinds=TAXONOMY_KINDS)
