"""The SKOS concept schemes in ontology/taxonomies/, as the ids a record may use."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from graph.config import TAXONOMY_NS
from graph.rdf.namespaces import AL

# The record field names that take a concept id, and the scheme the id must come from.
SCHEME_OF_FIELD = {
    "type": "alliance-type",
    "role": "role",
    "sector": "sector",
    "materials": "material",
    "pathways": "pathway",
    "indicators": "indicator",
    "status": "status",
}


@dataclass(frozen=True)
class Taxonomy:
    """Concept ids per scheme, and the alliance class each alliance type stands for."""

    concepts: dict[str, frozenset[str]]
    alliance_class: dict[str, URIRef]

    def concept_iri(self, scheme: str, ident: str) -> URIRef:
        return URIRef(f"{TAXONOMY_NS}{scheme}/{ident}")


def taxonomy_files(ontology_dir: Path) -> list[Path]:
    return sorted((ontology_dir / "taxonomies").glob("*.ttl"))


def load_taxonomy(ontology_dir: Path) -> Taxonomy:
    graph = Graph()
    for path in taxonomy_files(ontology_dir):
        graph.parse(path, format="turtle")
    concepts: dict[str, set[str]] = {}
    classes: dict[str, URIRef] = {}
    for concept, scheme in graph.subject_objects(SKOS.inScheme):
        scheme_name = str(scheme).removeprefix(TAXONOMY_NS)
        ident = str(concept).removeprefix(f"{TAXONOMY_NS}{scheme_name}/")
        concepts.setdefault(scheme_name, set()).add(ident)
        for cls in graph.objects(concept, AL.allianceClass):
            classes[ident] = URIRef(str(cls))
    return Taxonomy({k: frozenset(v) for k, v in concepts.items()}, classes)
