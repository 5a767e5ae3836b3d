"""The alliance landscape as plain Python objects, read from the store with a few SPARQL queries.

Every projection, measure, path and drawing starts here, so the store is read once per command
and nothing keeps a second copy of the RDF: only the fields the network views need. Labels, the
alliance's year and its basis are read as the build derived them (al:displayLabel, al:year,
al:yearBasis), never decided again here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from graph.ask.resolve import kind_and_id
from graph.rdf.query_forms import select
from graph.rdf.store import GraphStore

ORG_KINDS = {"Company": "organisation", "CorporateGroup": "group", "JointVenture": "joint-venture",
             "NonProfit": "organisation", "PublicBody": "organisation", "UnnamedParty": "unnamed"}

ALLIANCES = """
SELECT DISTINCT ?alliance ?class ?label ?title ?type ?signed ?start ?end ?year ?basis ?status WHERE {
  ?alliance a al:Alliance .
  OPTIONAL { ?alliance a ?class FILTER (?class IN (al:Agreement, al:Project, al:Programme, al:Community, al:Coalition)) }
  OPTIONAL { ?alliance al:displayLabel ?label }
  OPTIONAL { ?alliance al:year ?year }
  OPTIONAL { ?alliance al:yearBasis ?basis }
  OPTIONAL { ?alliance al:currentStatus ?status }
  OPTIONAL { ?alliance skos:prefLabel ?title }
  OPTIONAL { ?alliance al:allianceType ?type }
  OPTIONAL { ?alliance al:signing/schema:startDate ?signed }
  OPTIONAL { ?alliance schema:startDate ?start }
  OPTIONAL { ?alliance schema:endDate ?end }
}"""
PARTIES = """
SELECT DISTINCT ?alliance ?party ?role WHERE { ?alliance al:participation ?p . ?p al:party ?party ; al:role ?role }"""
TOPICS = """
SELECT DISTINCT ?alliance ?property ?concept WHERE {
  VALUES ?property { al:material al:pathway al:allianceType }
  ?alliance ?property ?concept . ?alliance a al:Alliance }"""
CONCEPTS = """
SELECT DISTINCT ?concept ?label ?broader WHERE {
  ?concept skos:inScheme ?scheme .
  OPTIONAL { ?concept al:displayLabel ?label }
  OPTIONAL { ?concept skos:broader ?parent . ?parent skos:broader* ?broader }  # not broader+: Virtuoso 7 drops the rows an OPTIONAL path+ does not match
}"""
ALLIANCE_SOURCES = """
SELECT DISTINCT ?alliance ?g WHERE { GRAPH ?g { ?alliance a ?anything } ?alliance a al:Alliance . ?g a schema:CreativeWork }"""
SOURCES = """
SELECT DISTINCT ?g ?title ?publisher ?url ?published ?copies WHERE {
  ?g a schema:CreativeWork ; al:displayLabel ?title ; schema:publisher ?publisher .
  OPTIONAL { ?g schema:url ?url } OPTIONAL { ?g schema:datePublished ?published } OPTIONAL { ?g al:copiesTextOf ?copies } }"""
CLAIMS = """
SELECT DISTINCT ?claim ?about ?value ?unit ?measure WHERE {
  ?claim a al:Claim ; al:about ?about ; schema:value ?value ; schema:unitText|schema:currency ?unit ; al:displayMeasure ?measure }"""
ORGANISATIONS = """
SELECT DISTINCT ?org ?class ?label ?pref ?alt ?sector ?country WHERE {
  ?org a org:Organization .
  OPTIONAL { ?org al:displayLabel ?label }
  OPTIONAL { ?org a ?class FILTER (?class IN (al:Company, al:CorporateGroup, al:JointVenture, al:NonProfit, al:PublicBody, al:UnnamedParty)) }
  OPTIONAL { ?org skos:prefLabel ?pref }
  OPTIONAL { ?org skos:altLabel ?alt }
  OPTIONAL { ?org al:sector ?sector }
  OPTIONAL { ?org schema:addressCountry ?country }
}"""
PARENTS = """
SELECT DISTINCT ?org ?relation ?parent ?g WHERE {
  VALUES ?relation { org:subOrganizationOf al:jointVentureOf }
  GRAPH ?g { ?org ?relation ?parent } }"""


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    url: str | None
    published: str | None
    copies: str | None = None  # the publisher whose text this source reprints (al:copiesTextOf)

    @property
    def origin(self) -> str:
        """Whose text this is: two sources corroborate each other only when their origins differ."""
        return " ".join((self.copies or self.publisher).casefold().split())


@dataclass
class Alliance:
    iri: str
    id: str
    cls: str = "Agreement"
    titles: dict[str, str] = field(default_factory=dict)
    type_key: str | None = None
    dates: set[str] = field(default_factory=set)  # signing dates, any precision
    start: str | None = None
    end: str | None = None
    parties: list[tuple[str, str]] = field(default_factory=list)  # (organisation IRI, role id)
    materials: set[str] = field(default_factory=set)  # concept ids as stated
    pathways: set[str] = field(default_factory=set)
    material_keys: set[str] = field(default_factory=set)  # with every broader concept
    pathway_keys: set[str] = field(default_factory=set)
    type_keys: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    claims: list[dict[str, str]] = field(default_factory=list)
    year: int | None = None  # al:year and al:yearBasis, derived at build (graph/build/derivations/alliance-year.rq)
    year_basis: str | None = None
    status: str | None = None  # al:currentStatus as a concept key (status/binding), derived at build (current-status.rq)
    status_keys: set[str] = field(default_factory=set)  # the current status with every broader one (delivering is binding)
    title: str = ""  # al:displayLabel (graph/build/display.py); the id when not given

    def __post_init__(self) -> None:
        self.title = self.title or self.id


@dataclass
class Organisation:
    iri: str
    id: str
    kind: str = "organisation"
    names: dict[str, list[str]] = field(default_factory=dict)  # preferred names first
    sector: str | None = None
    country: str | None = None
    parents: list[tuple[str, str, str]] = field(default_factory=list)  # (parent IRI, relation, source id)
    label: str = ""  # al:displayLabel (graph/build/display.py); the id when not given

    def __post_init__(self) -> None:
        self.label = self.label or self.id


@dataclass
class Landscape:
    alliances: dict[str, Alliance]
    organisations: dict[str, Organisation]
    concept_labels: dict[str, str]  # concept id (scheme/id) -> display label
    sources: dict[str, Source]

    def groups_of(self, org: str) -> set[str]:
        """The top-level groups above ``org`` through part-of and joint-venture links (itself if none)."""
        seen, tops, stack = set(), set(), [org]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            parents = [p for p, _, _ in self.organisations[current].parents] if current in self.organisations else []
            if parents:
                stack.extend(parents)
            else:
                tops.add(current)
        return tops

    @property
    def data_date(self) -> str | None:
        dates = [s.published for s in self.sources.values() if s.published and not s.published.startswith("--")]
        return max(dates) if dates else None

    def label(self, concept: str) -> str:
        return self.concept_labels.get(concept, concept.rsplit("/", 1)[-1])


def concept_key(iri: str) -> str:
    """'material/green-steel' for a taxonomy IRI."""
    return "/".join(kind_and_id(iri))


def load_landscape(store: GraphStore) -> Landscape:
    concept_labels: dict[str, str] = {}
    broader: dict[str, set[str]] = defaultdict(set)
    for row in select(store, CONCEPTS):
        key = concept_key(row["concept"].value)
        if row["label"] is not None:
            concept_labels[key] = row["label"].value
        if row["broader"] is not None:
            broader[key].add(concept_key(row["broader"].value))

    sources = {kind_and_id(r["g"].value)[1]: Source(kind_and_id(r["g"].value)[1], r["title"].value, r["publisher"].value,
                                                     r["url"].value if r["url"] else None,
                                                     r["published"].value if r["published"] else None,
                                                     r["copies"].value if r["copies"] else None)
               for r in select(store, SOURCES)}

    alliances: dict[str, Alliance] = {}
    for row in select(store, ALLIANCES):
        iri = row["alliance"].value
        a = alliances.setdefault(iri, Alliance(iri, kind_and_id(iri)[1]))
        if row["class"] is not None:
            a.cls = row["class"].value.rsplit("#", 1)[-1]
        if row["label"] is not None:
            a.title = row["label"].value
        if row["year"] is not None:
            a.year = int(row["year"].value)
        if row["basis"] is not None:
            a.year_basis = row["basis"].value
        if row["status"] is not None:
            a.status = concept_key(row["status"].value)
            a.status_keys = {a.status} | broader.get(a.status, set())
        if row["title"] is not None:
            a.titles.setdefault(row["title"].language or "", row["title"].value)
        if row["type"] is not None:
            a.type_key = concept_key(row["type"].value)
        if row["signed"] is not None:
            a.dates.add(row["signed"].value)
        for name in ("start", "end"):
            if row[name] is not None:
                setattr(a, name, min(filter(None, [getattr(a, name), row[name].value])))
    for row in select(store, PARTIES):
        alliances[row["alliance"].value].parties.append((row["party"].value, kind_and_id(row["role"].value)[1]))
    for row in select(store, TOPICS):
        a, key = alliances[row["alliance"].value], concept_key(row["concept"].value)
        kind = row["property"].value.rsplit("#", 1)[-1]
        closure = {key} | broader.get(key, set())
        if kind == "material":
            a.materials.add(key)
            a.material_keys |= closure
        elif kind == "pathway":
            a.pathways.add(key)
            a.pathway_keys |= closure
        else:
            a.type_keys |= closure
    for row in select(store, ALLIANCE_SOURCES):
        alliances[row["alliance"].value].sources.append(kind_and_id(row["g"].value)[1])
    for row in select(store, CLAIMS):
        if row["about"].value in alliances:
            alliances[row["about"].value].claims.append(
                {"value": row["value"].value, "unit": row["unit"].value, "measure": row["measure"].value})
    for a in alliances.values():
        a.parties.sort()
        a.sources.sort()
        a.claims.sort(key=lambda c: (c["measure"], c["value"]))

    organisations: dict[str, Organisation] = {}
    alts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in select(store, ORGANISATIONS):
        iri = row["org"].value
        o = organisations.setdefault(iri, Organisation(iri, kind_and_id(iri)[1]))
        if row["label"] is not None:
            o.label = row["label"].value
        if row["class"] is not None:
            o.kind = ORG_KINDS.get(row["class"].value.rsplit("#", 1)[-1], o.kind) if o.kind == "organisation" else o.kind
        for column in ("pref", "alt"):
            term = row[column]
            if term is not None:
                bucket = o.names.setdefault(term.language or "", [])
                if column == "pref" and term.value not in bucket:
                    bucket.insert(0, term.value)
                elif column == "alt":
                    alts[iri][term.language or ""].add(term.value)
        if row["sector"] is not None:
            o.sector = concept_key(row["sector"].value)
        if row["country"] is not None:
            o.country = row["country"].value
    for iri, by_lang in alts.items():
        for lang, values in by_lang.items():
            bucket = organisations[iri].names.setdefault(lang, [])
            bucket.extend(v for v in sorted(values) if v not in bucket)
    for row in select(store, PARENTS):
        if row["org"].value in organisations:
            relation = "joint venture of" if row["relation"].value.endswith("jointVentureOf") else "part of"
            organisations[row["org"].value].parents.append((row["parent"].value, relation, kind_and_id(row["g"].value)[1]))
    for o in organisations.values():
        o.parents.sort()
    return Landscape(alliances, organisations, concept_labels, sources)

