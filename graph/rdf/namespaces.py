"""Namespaces: ``AL`` refuses any term the ontology does not define (tests keep it current)."""
from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

from graph.config import ONTOLOGY_NS, TAXONOMY_NS

SCHEMA = Namespace("https://schema.org/")
WIKIDATA = "http://www.wikidata.org/entity/"  # Wikidata items, as schema:sameAs of organisations and plants
TAX = Namespace(TAXONOMY_NS)


class AL(DefinedNamespace):
    """Terms of ontology/alliance.ttl. A typo such as ``AL.partys`` raises AttributeError."""

    _NS = Namespace(ONTOLOGY_NS)
    _fail = True

    Agreement: URIRef
    Alliance: URIRef
    AnnouncementEvent: URIRef
    Claim: URIRef
    Coalition: URIRef
    Community: URIRef
    Company: URIRef
    CorporateGroup: URIRef
    DataPlatform: URIRef
    JointVenture: URIRef
    NonProfit: URIRef
    Participation: URIRef
    Plant: URIRef
    Programme: URIRef
    Project: URIRef
    PublicBody: URIRef
    SigningEvent: URIRef
    StatusChange: URIRef
    UnnamedParty: URIRef
    about: URIRef
    aboutMaterial: URIRef
    allianceClass: URIRef
    allianceType: URIRef
    announcement: URIRef
    approximate: URIRef
    archivedCopy: URIRef
    comparedTo: URIRef
    copiesTextOf: URIRef
    currentStatus: URIRef
    dateBasis: URIRef
    directAllianceCount: URIRef
    displayDescription: URIRef
    displayLabel: URIRef
    displayLocation: URIRef
    displayMeasure: URIRef
    displayRegion: URIRef
    displayScope: URIRef
    gemPlantId: URIRef
    goal: URIRef
    groupAllianceCount: URIRef
    groupAllianceNames: URIRef
    groupNames: URIRef
    identifiedAs: URIRef
    identifiedAsNames: URIRef
    indicator: URIRef
    inGroup: URIRef
    jointVentureOf: URIRef
    kindNames: URIRef
    listedYear: URIRef
    listedYearBasis: URIRef
    material: URIRef
    materialNames: URIRef
    measure: URIRef
    memberPartyNames: URIRef
    normalisedUnit: URIRef
    normalisedValue: URIRef
    operator: URIRef
    pairAlliance: URIRef
    pairAllianceTitle: URIRef
    pairAllianceTypeName: URIRef
    pairParty: URIRef
    pairPartyName: URIRef
    pairRoleName: URIRef
    pairSectorName: URIRef
    participation: URIRef
    partner: URIRef
    party: URIRef
    partyNames: URIRef
    pathway: URIRef
    pathwayNames: URIRef
    plant: URIRef
    platform: URIRef
    postNames: URIRef
    pursuerNames: URIRef
    pursuingAllianceCount: URIRef
    pursuingAllianceNames: URIRef
    quantityKind: URIRef
    quote: URIRef
    recordStage: URIRef
    role: URIRef
    scope: URIRef
    sector: URIRef
    signatory: URIRef
    signing: URIRef
    signingDates: URIRef
    startDates: URIRef
    status: URIRef
    statusChange: URIRef
    succeeds: URIRef
    supplierParticipation: URIRef
    throughPathwayNames: URIRef
    timing: URIRef
    year: URIRef
    yearAllianceCount: URIRef
    yearAllianceNames: URIRef
    yearBasis: URIRef
    yearDate: URIRef
    yearList: URIRef


PREFIXES: dict[str, str] = {
    "al": ONTOLOGY_NS,
    "schema": str(SCHEMA),
    "skos": str(SKOS),
    "org": str(ORG),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "dcterms": str(DCTERMS),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "tax": TAXONOMY_NS,
}

