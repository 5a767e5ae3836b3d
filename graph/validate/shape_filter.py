"""Which focus nodes could break a shape, found with SPARQL on the store, so that pySHACL runs only
on those (graph.validate.shacl) and the messages stay pySHACL's own.

pySHACL on the whole graph took 58-76% of a build at scale although almost every node conforms.
No faster SHACL engine reports the same results word for word, so this module does not decide
anything: it over-approximates. For each node shape of ``ontology/shapes.ttl`` it asks the store
for the focus nodes that might fail one of its constraints (one query per node shape for counts
and classes; the distinct values of a path, checked in Python exactly as pySHACL checks them, for
datatypes, patterns, ``sh:in`` and nested ``sh:or``/``sh:node``, then the focus nodes of the values
that fail). A constraint it does not know makes every focus node of its shape a candidate, so a
new kind of shape is slower, never missed. ``tests/test_shape_filter.py`` checks that the result
equals pySHACL on the whole graph.

Over the whole graph the store answers only the nodes that may fail, from set operations: counts
grouped per subject of a path, MINUS, and the few nodes these find tested for being focus nodes. A
join that looks up each focus node's values (``?f <path> ?a, ?b``) costs an index lookup per row:
at 1.38 million triples, 1-3 s for each of a dozen constraints, 17 s in all, where the grouped forms
take 0.1-0.3 s. A join of those few nodes with every focus node cost as much again (each condition
lists the focus nodes anew: 0.25 s for 35,000 alliances at 1.49 million triples, 2 s over the
shapes), where testing each of the few costs next to nothing. With ``within`` (a few focus nodes,
an incremental build), those lookups are the cheap way, and each condition has that form too (the
same nodes, tested per node).
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from graph.rdf.batches import bound_to, chunks
from graph.rdf.query_forms import select
from graph.rdf.store import OxigraphStore

Term = URIRef | Literal | BNode
Check = Callable[[Term], bool]  # True: the value conforms for sure

# What a shape may say without constraining anything (pySHACL reads them for its report).
NOT_CONSTRAINTS = {RDF.type, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group, SH.deactivated,
                   RDFS.label, RDFS.comment}
TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}
INSTANCES = "SELECT DISTINCT ?x WHERE { VALUES ?class { %s } ?x rdf:type ?class }"
SUBCLASSES = "SELECT DISTINCT ?sub WHERE { ?sub rdfs:subClassOf* <%s> }"
FOCUS = "$FOCUS"  # stands for a node shape's focus pattern in its conditions
IN_FOCUS = "$IN_FOCUS"  # stands for a test that ?f, found already, is one of its focus nodes


@dataclass
class _NodeShape:
    """One targeted node shape as queries: the focus pattern, patterns that match a focus node
    ``?f`` that may fail (SPARQL, FOCUS standing for the focus pattern, IN_FOCUS for ``member``),
    and value checks per path (Python)."""

    focus: str
    member: str  # a filter true when ?f, bound, is a focus node
    conditions: list[str] = field(default_factory=list)
    value_checks: list[tuple[URIRef, Check]] = field(default_factory=list)
    every_focus: bool = False  # a constraint this module cannot narrow: all focus nodes are candidates


class ShapeFilter:
    """The candidates of one store for one shapes graph."""

    def __init__(self, store: OxigraphStore, shapes: Graph, within: list[str] | None = None) -> None:
        """``within``: only these IRIs can be candidates (an incremental build's scope,
        graph.validate.shacl.shape_scope); each focus pattern starts from them."""
        self.store, self.shapes = store, shapes
        self.within = None if within is None else bound_to("?f", within)
        self._instances: dict[URIRef, frozenset[Term]] = {}
        self._subclasses: dict[URIRef, str] = {}

    def classes(self, cls: URIRef) -> str:
        """The class and its subclasses as a VALUES list: an instance is typed with one of them
        (cheaper than the path rdf:type/rdfs:subClassOf* for each node)."""
        if cls not in self._subclasses:
            found = {f"<{row['sub'].value}>" for row in select(self.store, SUBCLASSES % cls)
                     if isinstance(row["sub"], ox.NamedNode)} | {f"<{cls}>"}
            self._subclasses[cls] = " ".join(sorted(found))
        return self._subclasses[cls]

    def typed(self, node: str, cls: URIRef) -> str:
        """A pattern true when ``node`` (a variable) is an instance of ``cls`` or of a subclass. Over
        the whole graph it starts from the classes (VALUES); with ``within``, ``node`` is bound
        first and its types are tested, since Oxigraph joins a VALUES of classes with every
        instance of them before it meets the few nodes (every shape for the six nodes of a
        one-file build at 1.49 million triples: 0.52 s, against 0.01 s)."""
        if self.within is None:
            return f"VALUES {node}class {{ {self.classes(cls)} }} {node} rdf:type {node}class"
        return f"{node} rdf:type {node}class FILTER ({node}class IN ({', '.join(self.classes(cls).split())}))"

    def candidates(self) -> set[str] | None:
        """IRIs of the focus nodes that may fail a shape; None when a shape has a target this
        module cannot follow (then every node must be validated)."""
        other_targets = {p for p in self.shapes.predicates() if str(p).startswith(f"{SH}target") and p not in TARGETS}
        implicit = set(self.shapes.subjects(RDF.type, RDFS.Class)) & set(self.shapes.subjects(RDF.type, SH.NodeShape))
        if other_targets or implicit:  # sh:target (SPARQL-based targets) and implicit class targets
            return None
        found: set[str] = set()
        try:
            for shape in sorted({s for t in TARGETS for s in self.shapes.subjects(t, None)}, key=str):
                compiled = self._node_shape(shape)
                if compiled is None:
                    return None
                found |= self._run(compiled)
        except _BlankFocus:
            return None
        return found

    # -- queries -------------------------------------------------------------------------
    def _run(self, shape: _NodeShape) -> set[str]:
        found: set[str] = set()
        if shape.every_focus or shape.conditions:
            patterns = [FOCUS] if shape.every_focus else shape.conditions
            union = " UNION ".join(f"{{ {pattern.replace(FOCUS, shape.focus).replace(IN_FOCUS, shape.member)} }}"
                                  for pattern in patterns)
            found |= {_iri(row["f"]) for row in select(self.store, f"SELECT DISTINCT ?f WHERE {{ {union} }}")}
        for path, check in shape.value_checks:
            found |= self._failing(shape, path, check)
        return found

    def _failing(self, shape: _NodeShape, path: URIRef, check: Check) -> set[str]:
        """The focus nodes with a value of ``path`` that fails ``check``. Over the whole graph, the
        distinct values of the path (a few dozen dates, four year bases) are checked, and only the
        focus nodes of those that fail are asked for; with ``within``, each focus node's values."""
        if self.within is not None:
            return self._failing_per_node(shape.focus, path, check)
        values = [row["v"] for row in select(self.store, f"SELECT DISTINCT ?v WHERE {{ ?f <{path}> ?v }}")]
        failing = [value for value in values if not check(_rdflib(value))]
        if any(not isinstance(value, (ox.NamedNode, ox.Literal)) for value in failing):
            return self._failing_per_node(shape.focus, path, check)  # a blank node cannot be named in VALUES
        found: set[str] = set()
        for batch in chunks(map(str, failing), 1000):
            query = f"SELECT DISTINCT ?f WHERE {{ VALUES ?v {{ {' '.join(batch)} }} ?f <{path}> ?v {shape.member} }}"
            found |= {_iri(row["f"]) for row in select(self.store, query)}
        return found

    def _failing_per_node(self, focus: str, path: URIRef, check: Check) -> set[str]:
        found: set[str] = set()
        verdicts: dict[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None, bool] = {}
        for row in select(self.store, f"SELECT DISTINCT ?f ?v WHERE {{ {focus} ?f <{path}> ?v }}"):
            value = row["v"]
            if value not in verdicts:
                verdicts[value] = check(_rdflib(value))
            if not verdicts[value]:
                found.add(_iri(row["f"]))
        return found

    def _node_shape(self, shape: Node) -> _NodeShape | None:
        patterns = self._focus_patterns(shape)
        if patterns is None:
            return None
        member = "FILTER EXISTS { " + _union(patterns) + " }"
        if self.within is not None:
            focus = "{ " + _union(f"{self.within} {pattern}" for pattern in patterns) + " }"
        else:  # each focus node once: an alliance is typed with two of al:Alliance's classes
            focus = "{ SELECT DISTINCT ?f WHERE { " + _union(patterns) + " } }"
        compiled = _NodeShape(focus, member)
        for predicate, value in self.shapes.predicate_objects(shape):
            if predicate in NOT_CONSTRAINTS or predicate in TARGETS:
                continue
            if predicate == SH.property:
                self._property(value, compiled)
            else:
                condition = self._logical_condition(predicate, value)
                if condition is None:
                    compiled.every_focus = True
                else:
                    compiled.conditions.append(f"{FOCUS} FILTER ({condition})")
        return compiled

    def _focus_patterns(self, shape: Node) -> list[str] | None:
        """The patterns of ``shape``'s targets, each matching its focus nodes as ``?f``: a group's
        contents, so that with ``within`` the VALUES of the nodes joins them in one group (a
        group of its own is evaluated whole, for every focus node of the graph)."""
        patterns = []
        for predicate, value in self.shapes.predicate_objects(shape):
            if predicate not in TARGETS:
                if str(predicate).startswith(str(SH) + "target"):  # sh:target (SPARQL-based) and the like
                    return None
                continue
            if not isinstance(value, URIRef):
                return None
            if predicate == SH.targetClass:
                patterns.append(self.typed("?f", value))
            elif predicate == SH.targetSubjectsOf:
                patterns.append(f"?f <{value}> ?targeted")
            elif predicate == SH.targetObjectsOf:
                patterns.append(f"?targeted <{value}> ?f")
            else:
                patterns.append(f"VALUES ?f {{ <{value}> }}")
        return patterns or None

    def _property(self, shape: Node, compiled: _NodeShape) -> None:
        path = self.shapes.value(shape, SH.path)
        if not isinstance(path, URIRef):  # a path expression: not narrowed
            compiled.every_focus = True
            return
        checks: list[Check] = []
        for predicate, value in self.shapes.predicate_objects(shape):
            if predicate in NOT_CONSTRAINTS or predicate == SH.path:
                continue
            if predicate in (SH.minCount, SH.maxCount):
                condition = _count_condition(predicate, path, int(str(value)), self.within is not None)
                if condition is None:
                    compiled.every_focus = True
                else:
                    compiled.conditions.append(condition)
            elif predicate == SH["class"] and isinstance(value, URIRef):
                typed = self.typed("?v", value)
                compiled.conditions.append(f"{FOCUS} ?f <{path}> ?v FILTER NOT EXISTS {{ {typed} }}" if self.within is not None
                                           else f"{{ SELECT DISTINCT ?f WHERE {{ ?f <{path}> ?v MINUS {{ {typed} }} }} }} {IN_FOCUS}")
            else:
                check = self._value_check(predicate, value)
                if check is None:
                    compiled.every_focus = True
                else:
                    checks.append(check)
        if checks:
            compiled.value_checks.append((path, lambda term: all(check(term) for check in checks)))

    # -- constraints on one value, as pySHACL evaluates them ---------------------------------
    def _value_check(self, predicate: Node, value: Node) -> Check | None:
        """A test that is True only when pySHACL would find the value node conforming; None for a
        constraint not handled here."""
        if predicate == SH.datatype and isinstance(value, URIRef):
            return lambda term: _has_datatype(term, value)
        if predicate == SH.pattern:
            flags = 0  # sh:flags is not handled: a pattern with flags is left to pySHACL (below)
            regex = re.compile(str(value), flags)
            return lambda term: not isinstance(term, BNode) and bool(regex.search(str(term)))
        if predicate == SH["in"]:
            allowed = frozenset(Collection(self.shapes, value))
            return lambda term: term in allowed
        if predicate == SH["class"] and isinstance(value, URIRef):
            instances = self._instances_of(value)
            return lambda term: not isinstance(term, Literal) and term in instances
        if predicate == SH.node:
            return self._shape_check(value)
        if predicate in (SH["or"], SH["and"], SH.xone, SH["not"]):
            members = [self._shape_check(member) for member in Collection(self.shapes, value)]
            if any(member is None for member in members):
                return None
            checks = [member for member in members if member is not None]
            if predicate == SH["or"]:
                return lambda term: any(check(term) for check in checks)
            if predicate == SH["and"]:
                return lambda term: all(check(term) for check in checks)
            if predicate == SH.xone:
                return lambda term: sum(check(term) for check in checks) == 1
            return lambda term: not checks[0](term)
        return None

    def _shape_check(self, shape: Node) -> Check | None:
        """A nested shape applied to a value node: only constraints on the node itself."""
        checks: list[Check] = []
        for predicate, value in self.shapes.predicate_objects(shape):
            if predicate in NOT_CONSTRAINTS:
                continue
            check = self._value_check(predicate, value)
            if check is None:
                return None
            checks.append(check)
        return lambda term: all(check(term) for check in checks)

    def _instances_of(self, cls: URIRef) -> frozenset[Term]:
        if cls not in self._instances:
            self._instances[cls] = frozenset(_rdflib(row["x"]) for row in select(self.store, INSTANCES % self.classes(cls)))
        return self._instances[cls]

    # -- constraints on the focus node ------------------------------------------------------
    def _logical_condition(self, predicate: Node, value: Node) -> str | None:
        """sh:or/and/xone/not of property shapes with counts only, as a SPARQL test on ?f that is
        true when the focus node may fail."""
        if predicate not in (SH["or"], SH["and"], SH.xone, SH["not"]):
            return None
        members = [self._conforms(member) for member in Collection(self.shapes, value)]
        if any(member is None for member in members):
            return None
        tests = [member for member in members if member is not None]
        if predicate == SH["or"]:
            return "!(" + " || ".join(tests) + ")"
        if predicate == SH["and"]:
            return "!(" + " && ".join(tests) + ")"
        if predicate == SH.xone:
            return "(" + " + ".join(f"IF({test}, 1, 0)" for test in tests) + ") != 1"
        return tests[0]

    def _conforms(self, shape: Node) -> str | None:
        """Exactly when a property shape with only minCount 1 / maxCount 0 holds, as SPARQL."""
        path = self.shapes.value(shape, SH.path)
        if not isinstance(path, URIRef):
            return None
        tests = []
        for predicate, value in self.shapes.predicate_objects(shape):
            if predicate in NOT_CONSTRAINTS or predicate == SH.path:
                continue
            if predicate == SH.minCount and int(str(value)) == 1:
                tests.append(f"EXISTS {{ ?f <{path}> ?any }}")
            elif predicate == SH.maxCount and int(str(value)) == 0:
                tests.append(f"NOT EXISTS {{ ?f <{path}> ?any }}")
            else:
                return None
        return "(" + " && ".join(tests or ["true"]) + ")"


def _count_condition(predicate: Node, path: URIRef, count: int, scoped: bool) -> str | None:
    """A pattern for the focus nodes that may have fewer (minCount) or more (maxCount) values than
    allowed; ``scoped``: written for a few focus nodes (tests per node), else for all of them
    (counts grouped per subject, the subjects found then tested for being focus nodes: IN_FOCUS).

    Values are counted as distinct terms; rdflib can merge two literals Oxigraph keeps apart
    ("1.0" and "1.00"), so only two values that are not literals make a minimum of two sure."""
    if predicate == SH.minCount:
        if count <= 0:
            return f"{FOCUS} FILTER (false)"
        if count == 1:
            return f"{FOCUS} {'FILTER NOT EXISTS' if scoped else 'MINUS'} {{ ?f <{path}> ?v }}"
        if count == 2:
            if scoped:
                return f"{FOCUS} FILTER NOT EXISTS {{ ?f <{path}> ?a, ?b FILTER (!sameTerm(?a, ?b) && !isLiteral(?a) && !isLiteral(?b)) }}"
            return f"{FOCUS} MINUS {{ {_more_than_one(path, 'FILTER (!isLiteral(?v))')} }}"
        return None
    if count == 0:
        return f"{FOCUS} ?f <{path}> ?v" if scoped else f"{{ SELECT DISTINCT ?f WHERE {{ ?f <{path}> ?v }} }} {IN_FOCUS}"
    if count == 1:
        return f"{FOCUS} ?f <{path}> ?a, ?b FILTER (!sameTerm(?a, ?b))" if scoped else f"{_more_than_one(path)} {IN_FOCUS}"
    return None


def _union(patterns: Iterable[str]) -> str:
    """The UNION of ``patterns`` (each the contents of a group)."""
    return " UNION ".join(f"{{ {pattern} }}" for pattern in patterns)


def _more_than_one(path: URIRef, restriction: str = "") -> str:
    """The subjects with two values of ``path`` or more (that pass ``restriction`` on ?v)."""
    return f"{{ SELECT ?f WHERE {{ ?f <{path}> ?v {restriction} }} GROUP BY ?f HAVING (COUNT(DISTINCT ?v) > 1) }}"


def _has_datatype(term: Term, datatype: URIRef) -> bool:
    """pySHACL's sh:datatype (DatatypeConstraintComponent), on the term as rdflib parses it."""
    if not isinstance(term, Literal):
        return False
    if term.datatype == datatype:
        return term.ill_typed is not True and _is_python_type(term, datatype)
    if datatype == RDFS.Literal or (datatype == RDFS.Datatype and term.datatype is not None):
        return True
    if datatype == XSD.string:
        return term.datatype is None and term.language is None and _is_python_type(term, datatype)
    return datatype == RDF.langString and bool(term.language) and _is_python_type(term, datatype)


PYTHON_TYPES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes), RDF.langString: (str, bytes), XSD.integer: int, XSD.float: float, XSD.decimal: Decimal,
    XSD.boolean: bool, XSD.date: date, XSD.time: time, XSD.dateTime: datetime}


def _is_python_type(term: Literal, datatype: URIRef) -> bool:
    """pySHACL's ``_assert_actual_datatype``: the parsed value has the datatype's Python type;
    other datatypes pass."""
    expected = PYTHON_TYPES.get(datatype)
    return expected is None or isinstance(term.value, expected)


def _rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> Term:
    """The term as pySHACL sees it after N-Triples from Oxigraph are parsed by rdflib."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == str(XSD.string) else URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unexpected term {term!r} in a shape's values")


class _BlankFocus(Exception):
    """A focus node without an IRI cannot be named to pySHACL's batch: validate everything."""


def _iri(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    if not isinstance(term, ox.NamedNode):
        raise _BlankFocus(str(term))
    return term.value


def candidate_focus_nodes(store: OxigraphStore, shapes: Graph, within: set[str] | None = None) -> set[str] | None:
    """The candidates (None: validate every node); with ``within``, only those among these IRIs,
    asked for a thousand at a time."""
    if within is None:
        return ShapeFilter(store, shapes).candidates()
    found: set[str] = set()
    for batch in chunks(sorted(within), 1000):
        some = ShapeFilter(store, shapes, batch).candidates()
        if some is None:
            return None
        found |= some & set(batch)
    return found
