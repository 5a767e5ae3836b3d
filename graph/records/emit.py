"""Turn one checked record into the RDF of its source's named graph.

Everything a record says goes into one graph whose IRI is the source's IRI, so a fact's
source is always ``GRAPH ?source``. Ids are only resolved to IRIs here; whether each id names
something is checked across all files by graph.validate.integrity, using the ``References``
collected while emitting.

The quads are pyoxigraph terms, serialised once per record as N-Quads (``Emitted.nquads``):
building an rdflib graph per record, writing it as N-Triples and parsing that again cost more
than reading the record. IRIs are still written with the rdflib namespaces the rest of the
package uses, turned into pyoxigraph terms once each (``_Terms``): an rdflib term is made anew,
and compared in Python, on every use, which cost more than the quad it went into.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
from rdflib import Literal as RdflibLiteral
from rdflib import namespace as rdflib_namespaces
from rdflib.namespace import XSD

from graph.config import Settings
from graph.records.names import normalise
from graph.rdf import namespaces
from graph.rdf.namespaces import WIKIDATA
from graph.records.quantities import MONEY, read_quantity
from graph.records.read import Record
from graph.records.taxonomy import SCHEME_OF_FIELD, Taxonomy


class _Terms:
    """The terms of an rdflib namespace as pyoxigraph IRIs: ``RDF.type`` is made on first use and
    then kept as an attribute, so that it is a plain attribute look-up from then on. A name the
    namespace refuses (``AL`` knows only the ontology's terms) raises as it does there."""

    def __init__(self, terms: Any) -> None:
        self._terms = terms

    def __getattr__(self, name: str) -> ox.NamedNode:
        node = ox.NamedNode(str(getattr(self._terms, name)))
        setattr(self, name, node)
        return node


# The names the rest of the package uses for rdflib's namespaces, here with pyoxigraph terms.
AL, SCHEMA = _Terms(namespaces.AL), _Terms(namespaces.SCHEMA)
DCTERMS, FOAF, ORG, OWL, RDF, SKOS = (_Terms(getattr(rdflib_namespaces, name)) for name in ("DCTERMS", "FOAF", "ORG", "OWL", "RDF", "SKOS"))
# Datatypes as text: literal() looks them up in AS_WRITTEN, where an rdflib term is compared in Python.
XSD_ANY_URI, XSD_DECIMAL, XSD_DURATION = str(XSD.anyURI), str(XSD.decimal), str(XSD.duration)
XSD_DATES = {4: str(XSD.gYear), 7: str(XSD.gYearMonth), 10: str(XSD.date)}  # by the length of the date
XSD_MONTH_DAY = str(XSD.gMonthDay)

SOURCE_CLASS = {
    "news-article": SCHEMA.NewsArticle,
    "press-release": SCHEMA.Article,
    "report": SCHEMA.Report,
    "web-page": SCHEMA.WebPage,
    "company-page": SCHEMA.AboutPage,
    "encyclopedia": SCHEMA.WebPage,
}
ORGANISATION_CLASS = {
    "company": AL.Company,
    "group": AL.CorporateGroup,
    "joint-venture": AL.JointVenture,
    "non-profit": AL.NonProfit,
    "public-body": AL.PublicBody,
    "unnamed": AL.UnnamedParty,
}


@dataclass(frozen=True)
class Reference:
    """A use of an id that must resolve: ``kinds`` are the acceptable kinds of target."""

    kinds: tuple[str, ...]
    ident: str
    file: str
    line: int
    field: str


@dataclass
class Emitted:
    """A record's quads (in its source's graph ``graph``) plus what it declares and what it refers to."""

    graph: str
    quads: list[ox.Quad] = field(default_factory=list)
    declared: list[tuple[str, str, str, int]] = field(default_factory=list)  # kind, id, file, line
    references: list[Reference] = field(default_factory=list)

    def nquads(self) -> bytes:
        """The quads as N-Quads, each once, in the order they were stated."""
        return ox.serialize(dict.fromkeys(self.quads), format=ox.RdfFormat.N_QUADS) or b""


_NODES: dict[str, ox.NamedNode] = {}
_CONCEPTS: dict[tuple[str, str], ox.NamedNode] = {}  # by scheme and id: Taxonomy.concept_iri makes an rdflib term


def _node(iri: str) -> ox.NamedNode:
    """The pyoxigraph IRI, made once for each of the vocabulary's IRIs (they repeat in every record)."""
    node = _NODES.get(iri)
    if node is None:
        node = ox.NamedNode(iri)
        if len(_NODES) < 10_000:
            _NODES[iri] = node
    return node


# Datatypes whose lexical form rdflib writes as given (a record's dates are checked before).
AS_WRITTEN = {*XSD_DATES.values(), XSD_MONTH_DAY, XSD_ANY_URI}


def literal(value: object, lang: str | None = None, datatype: str | None = None) -> ox.Literal:
    """A literal as rdflib's ``Literal`` would write it in N-Triples (rdflib's lexical form for
    booleans, numbers and durations: "P18M" is written "P1Y6M"), so that the graph is the same as
    when records went through rdflib."""
    if isinstance(value, (bool, Decimal)) or (datatype and datatype not in AS_WRITTEN):
        written = RdflibLiteral(value, datatype=datatype)
        return ox.Literal(str(written), datatype=_node(str(written.datatype)))
    if lang:
        return ox.Literal(str(value), language=lang)
    return ox.Literal(str(value), datatype=_node(datatype) if datatype else None)


def xsd_date(text: str) -> ox.Literal:
    """A date literal whose datatype keeps the precision the source gives."""
    return literal(text, datatype=XSD_MONTH_DAY if text.startswith("--") else XSD_DATES[len(text)])


class _Emitter:
    def __init__(self, record: Record, settings: Settings, taxonomy: Taxonomy) -> None:
        self.record, self.settings, self.taxonomy = record, settings, taxonomy
        self.graph = ox.NamedNode(settings.entity_iri("source", record.source_id))
        self.out = Emitted(self.graph.value)
        self.quads = self.out.quads

    # -- helpers -------------------------------------------------------------------------
    def iri(self, kind: str, ident: str) -> ox.NamedNode:
        return ox.NamedNode(self.settings.entity_iri(kind, ident))

    def add(self, s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> None:
        self.quads.append(ox.Quad(s, p, o, self.graph))

    def ref(self, kinds: tuple[str, ...], ident: str, path: tuple[str | int, ...]) -> None:
        self.out.references.append(Reference(kinds, ident, self.record.display, self.record.line(*path), "/".join(map(str, path))))

    def concept(self, field_name: str, ident: str, path: tuple[str | int, ...]) -> ox.NamedNode:
        scheme = SCHEME_OF_FIELD[field_name]
        self.ref((f"concept:{scheme}",), ident, path)
        node = _CONCEPTS.get((scheme, ident))
        if node is None:
            node = ox.NamedNode(str(self.taxonomy.concept_iri(scheme, ident)))
            if len(_CONCEPTS) < 10_000:
                _CONCEPTS[scheme, ident] = node
        return node

    def declare(self, kind: str, ident: str, path: tuple[str | int, ...]) -> ox.NamedNode:
        self.out.declared.append((kind, ident, self.record.display, self.record.line(*path)))
        return self.iri(kind, ident)

    def texts(self, subject: ox.NamedNode, predicate: ox.NamedNode, values: dict[str, Any] | None, *, hidden: bool = False) -> None:
        """Language-tagged texts; labels also get a normalised skos:hiddenLabel for matching."""
        for lang, value in (values or {}).items():
            for text in value if isinstance(value, list) else [value]:
                self.add(subject, predicate, literal(text, lang=lang))
                folded = normalise(text) if hidden else ""
                if folded:
                    self.add(subject, SKOS.hiddenLabel, literal(folded))

    def quote(self, subject: ox.NamedNode, quote: str | list[str] | dict[str, list[str]]) -> None:
        """Quotes without a language tag are in the source's language."""
        quotes = quote if isinstance(quote, dict) else {self.record.language: quote}
        self.texts(subject, AL.quote, quotes)

    # -- sections ------------------------------------------------------------------------
    def emit(self) -> Emitted:
        data = self.record.data
        self.source_metadata(data["source"])
        for section, method in (("organisations", self.organisation), ("people", self.person), ("posts", self.post),
                                ("platforms", self.platform), ("plants", self.plant), ("alliances", self.alliance),
                                ("claims", self.claim)):
            for index, item in enumerate(data.get(section) or []):
                method(item, (section, index))
        return self.out

    def source_metadata(self, source: dict[str, Any]) -> None:
        s = self.declare("source", self.record.source_id, ("source",))
        self.add(s, RDF.type, SCHEMA.CreativeWork)
        self.add(s, RDF.type, SOURCE_CLASS[source["kind"]])
        title = source["title"]
        self.texts(s, DCTERMS.title, title if isinstance(title, dict) else {source["language"]: title})
        self.add(s, SCHEMA.publisher, literal(source["publisher"]))
        if "published" in source:
            self.add(s, SCHEMA.datePublished, xsd_date(source["published"]))
        self.add(s, SCHEMA.inLanguage, literal(source["language"]))
        self.add(s, SCHEMA.genre, literal(source["kind"]))
        if "url" in source:
            self.add(s, SCHEMA.url, literal(source["url"], datatype=XSD_ANY_URI))
        if "archived_copy" in source:
            self.add(s, AL.archivedCopy, literal(source["archived_copy"]))
        if "copies" in source:
            self.add(s, AL.copiesTextOf, literal(source["copies"]))
        if "note" in source:
            self.add(s, SKOS.editorialNote, literal(source["note"], lang="en"))

    def organisation(self, item: dict[str, Any], path: tuple[str | int, ...]) -> None:
        o = self.declare("organisation", item["id"], path)
        self.add(o, RDF.type, ORG.Organization)
        if "kind" in item:
            self.add(o, RDF.type, ORGANISATION_CLASS[item["kind"]])
        self.texts(o, SKOS.prefLabel, item.get("label"), hidden=True)
        self.texts(o, SKOS.altLabel, item.get("aliases"), hidden=True)
        self.texts(o, SCHEMA.description, item.get("description"))
        self.texts(o, SCHEMA.addressRegion, item.get("region"))
        if "sector" in item:
            self.add(o, AL.sector, self.concept("sector", item["sector"], path + ("sector",)))
        if "country" in item:
            self.add(o, SCHEMA.addressCountry, literal(item["country"]))
        for key, predicate in (("part_of", ORG.subOrganizationOf), ("joint_venture_of", AL.jointVentureOf)):
            for index, parent in enumerate(item.get(key) or []):
                self.ref(("organisation",), parent, path + (key, index))
                self.add(o, predicate, self.iri("organisation", parent))
        if "identified_as" in item:
            self.ref(("organisation",), item["identified_as"], path + ("identified_as",))
            self.add(o, AL.identifiedAs, self.iri("organisation", item["identified_as"]))
        self.identifiers(o, item)
        if "lei" in item:
            self.add(o, SCHEMA.leiCode, literal(item["lei"]))
        self.quote(o, item["quote"])

    def identifiers(self, subject: ox.NamedNode, item: dict[str, Any]) -> None:
        """Identifiers other datasets share: the Wikidata item as a linked-data IRI (schema:sameAs)."""
        if "wikidata" in item:
            self.add(subject, SCHEMA.sameAs, ox.NamedNode(WIKIDATA + item["wikidata"]))

    def plant(self, item: dict[str, Any], path: tuple[str | int, ...]) -> None:
        p = self.declare("plant", item["id"], path)
        self.add(p, RDF.type, AL.Plant)
        self.texts(p, SKOS.prefLabel, item["label"], hidden=True)
        self.texts(p, SKOS.altLabel, item.get("aliases"), hidden=True)
        self.texts(p, SCHEMA.address, item.get("location"))
        if "country" in item:
            self.add(p, SCHEMA.addressCountry, literal(item["country"]))
        for index, operator in enumerate(item.get("operator") or []):
            self.ref(("organisation",), operator, path + ("operator", index))
            self.add(p, AL.operator, self.iri("organisation", operator))
        if "gem_id" in item:
            self.add(p, AL.gemPlantId, literal(item["gem_id"]))
        self.identifiers(p, item)
        self.quote(p, item["quote"])

    def person(self, item: dict[str, Any], path: tuple[str | int, ...]) -> None:
        p = self.declare("person", item["id"], path)
        self.add(p, RDF.type, FOAF.Person)
        self.texts(p, SKOS.prefLabel, item.get("name"), hidden=True)
        for index, post in enumerate(item.get("holds") or []):
            self.ref(("post",), post, path + ("holds", index))
            self.add(p, ORG.holds, self.iri("post", post))
        self.quote(p, item["quote"])

    def post(self, item: dict[str, Any], path: tuple[str | int, ...]) -> None:
        p = self.declare("post", item["id"], path)
        self.add(p, RDF.type, ORG.Post)
        self.texts(p, SKOS.prefLabel, item["title"], hidden=True)
        self.ref(("organisation",), item["organisation"], path + ("organisation",))
        self.add(p, ORG.postIn, self.iri("organisation", item["organisation"]))
        self.quote(p, item["quote"])

    def platform(self, item: dict[str, Any], path: tuple[str | int, ...]) -> None:
        p = self.declare("platform", item["id"], path)
        self.add(p, RDF.type, AL.DataPlatform)
        self.texts(p, SKOS.prefLabel, item.get("label"), hidden=True)
        self.texts(p, SCHEMA.description, item.get("description"))
        for index, ident in enumerate(item.get("indicators") or []):
            self.add(p, AL.indicator, self.concept("indicators", ident, path + ("indicators", index)))
        self.quote(p, item["quote"])

    def alliance(self, item: dict[str, Any], path: tuple[str | int, ...]) -> None:
        a = self.declare("alliance", item["id"], path)
        self.add(a, RDF.type, AL.Alliance)
        if "type" in item:
            self.add(a, AL.allianceType, self.concept("type", item["type"], path + ("type",)))
            if item["type"] in self.taxonomy.alliance_class:
                self.add(a, RDF.type, _node(str(self.taxonomy.alliance_class[item["type"]])))
        self.texts(a, SKOS.prefLabel, item.get("title"), hidden=True)
        for index, party in enumerate(item.get("parties") or []):
            self.participation(a, item["id"], party, path + ("parties", index))
        for key, predicate in (("materials", AL.material), ("pathways", AL.pathway), ("indicators", AL.indicator)):
            for index, ident in enumerate(item.get(key) or []):
                self.add(a, predicate, self.concept(key, ident, path + (key, index)))
        for key, kind, predicate in (("platforms", "platform", AL.platform), ("plants", "plant", AL.plant)):
            for index, ident in enumerate(item.get(key) or []):
                self.ref((kind,), ident, path + (key, index))
                self.add(a, predicate, self.iri(kind, ident))
        self.texts(a, AL.goal, item.get("goals"))
        if "signing" in item:
            self.signing(a, item["signing"], path + ("signing",))
        if "announcement" in item:
            self.announcement(a, item["announcement"])
        for index, change in enumerate(item.get("status") or []):
            self.status_change(a, change, path + ("status", index))
        for key, predicate in (("start", SCHEMA.startDate), ("end", SCHEMA.endDate)):
            if key in item:
                self.add(a, predicate, xsd_date(item[key]))
        if "duration" in item:
            self.add(a, SCHEMA.duration, literal(item["duration"], datatype=XSD_DURATION))
        if "succeeds" in item:
            self.ref(("alliance",), item["succeeds"], path + ("succeeds",))
            self.add(a, AL.succeeds, self.iri("alliance", item["succeeds"]))
        for index, other in enumerate(item.get("distinct_from") or []):
            self.ref(("alliance",), other, path + ("distinct_from", index))
            self.add(a, OWL.differentFrom, self.iri("alliance", other))
        self.quote(a, item["quote"])

    def participation(self, alliance: ox.NamedNode, alliance_id: str, party: dict[str, Any], path: tuple[str | int, ...]) -> None:
        p = ox.NamedNode(f"{alliance.value}/party/{party['organisation']}")
        self.add(alliance, AL.participation, p)
        self.add(p, RDF.type, AL.Participation)
        self.ref(("organisation",), party["organisation"], path + ("organisation",))
        self.add(p, AL.party, self.iri("organisation", party["organisation"]))
        self.add(p, AL.role, self.concept("role", party["role"], path + ("role",)))
        if "signatory" in party:
            self.ref(("person",), party["signatory"], path + ("signatory",))
            self.add(p, AL.signatory, self.iri("person", party["signatory"]))
        if "signatory_post" in party:
            self.ref(("post",), party["signatory_post"], path + ("signatory_post",))
            self.add(p, AL.signatory, self.iri("post", party["signatory_post"]))

    def signing(self, alliance: ox.NamedNode, signing: dict[str, Any], path: tuple[str | int, ...]) -> None:
        event = ox.NamedNode(f"{alliance.value}/signing")
        self.add(alliance, AL.signing, event)
        self.add(event, RDF.type, AL.SigningEvent)
        self.dated(event, signing)
        self.texts(event, AL.timing, signing.get("timing"))
        self.texts(event, SCHEMA.location, signing.get("place"))
        for index, person in enumerate(signing.get("attendees") or []):
            self.ref(("person",), person, path + ("attendees", index))
            self.add(event, SCHEMA.attendee, self.iri("person", person))

    def dated(self, event: ox.NamedNode, item: dict[str, Any]) -> None:
        """An event's date at the source's precision, and how it was resolved where the source does not print it."""
        if "date" in item:
            self.add(event, SCHEMA.startDate, xsd_date(item["date"]))
        if "basis" in item:
            self.add(event, AL.dateBasis, literal(item["basis"], lang="en"))

    def announcement(self, alliance: ox.NamedNode, announcement: dict[str, Any]) -> None:
        event = ox.NamedNode(f"{alliance.value}/announcement")
        self.add(alliance, AL.announcement, event)
        self.add(event, RDF.type, AL.AnnouncementEvent)
        self.dated(event, announcement)
        self.texts(event, AL.timing, announcement.get("timing"))

    def status_change(self, alliance: ox.NamedNode, change: dict[str, Any], path: tuple[str | int, ...]) -> None:
        """One node per status and date: two sources that state the same change describe one node, each with its quote."""
        node = ox.NamedNode(f"{alliance.value}/status/{change['status']}/{change.get('date', 'undated')}")
        self.add(alliance, AL.statusChange, node)
        self.add(node, RDF.type, AL.StatusChange)
        self.add(node, AL.status, self.concept("status", change["status"], path + ("status",)))
        self.dated(node, change)
        self.quote(node, change["quote"])

    def claim(self, item: dict[str, Any], path: tuple[str | int, ...]) -> None:
        c = self.declare("claim", item["id"], path)
        self.add(c, RDF.type, AL.Claim)
        self.add(c, SCHEMA.value, literal(Decimal(item["value"]), datatype=XSD_DECIMAL))
        if "currency" in item:  # money: schema.org's MonetaryAmount properties
            self.add(c, SCHEMA.currency, literal(item["currency"]))
            self.add(c, AL.quantityKind, literal(MONEY))
        else:
            quantity = read_quantity(item["value"], item["unit"])  # the record passed quantity_problems
            self.add(c, SCHEMA.unitText, literal(item["unit"]))
            if quantity.unit_code:
                self.add(c, SCHEMA.unitCode, literal(quantity.unit_code))
            self.add(c, AL.quantityKind, literal(quantity.kind))
            self.add(c, AL.normalisedValue, literal(quantity.normalised, datatype=XSD_DECIMAL))
            self.add(c, AL.normalisedUnit, literal(quantity.canonical_unit))
        self.texts(c, AL.measure, item["measure"])
        self.texts(c, AL.scope, item.get("scope"))
        for index, reference in enumerate(item["about"]):
            self.add(c, AL.about, self.reference(reference, path + ("about", index)))
        if "compared_to" in item:
            self.add(c, AL.comparedTo, self.reference(item["compared_to"], path + ("compared_to",)))
        if "approximate" in item:
            self.add(c, AL.approximate, literal(item["approximate"] == "true"))
        self.quote(c, item["quote"])

    def reference(self, reference: str, path: tuple[str | int, ...]) -> ox.NamedNode:
        kind, ident = reference.split(":", 1)
        field_name = {"material": "materials", "sector": "sector", "pathway": "pathways", "indicator": "indicators"}.get(kind)
        if field_name:
            return self.concept(field_name, ident, path)
        self.ref((kind,), ident, path)
        return self.iri(kind, ident)


def emit_record(record: Record, settings: Settings, taxonomy: Taxonomy) -> Emitted:
    """The named graph of one record, what it declares and the ids it uses."""
    return _Emitter(record, settings, taxonomy).emit()
