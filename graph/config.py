"""Where things are: project folders, the store, and the IRI base, with their overrides.

The store location comes from ``--store``, else ``ALLIANCES_STORE``, else ``.alliances/store``
inside the project (git ignores it). The base of entity IRIs comes from ``ALLIANCES_BASE``.
The order of languages in which a build picks display labels (graph/build/display.py) comes from
``ALLIANCES_LABEL_LANGUAGES`` (comma-separated tags), else ``DEFAULT_LABEL_LANGUAGES``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from graph.errors import AllianceError
from graph.rdf.location import refuse_url_as_path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BASE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*[/#]")
DEFAULT_BASE = "https://w3id.org/alliance-graph/id/"
ONTOLOGY_NS = "https://w3id.org/alliance-graph/ontology#"
TAXONOMY_NS = "https://w3id.org/alliance-graph/taxonomy/"
# English, then the languages of the landscape's main players; any other language comes after.
DEFAULT_LABEL_LANGUAGES = ("en", "zh", "de", "ja", "ko")
LANGUAGE_RANGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class Settings:
    """Everything a build or a query needs to know about locations."""

    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "data")
    ontology_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "ontology")
    store_path: Path = field(default_factory=lambda: default_store_path())
    base: str = field(default_factory=lambda: os.environ.get("ALLIANCES_BASE", DEFAULT_BASE))
    label_languages: tuple[str, ...] = field(default_factory=lambda: label_languages_from_env())

    def __post_init__(self) -> None:
        refuse_url_as_path(self.store_path)
        if not BASE_IRI.fullmatch(self.base):
            raise AllianceError(f"the IRI base '{self.base}' must be an absolute IRI without spaces that ends with "
                                "'/' or '#', such as https://example.org/id/ (set ALLIANCES_BASE)")
        wrong = [tag for tag in self.label_languages if not LANGUAGE_RANGE.fullmatch(tag)]
        if wrong or not self.label_languages:
            raise AllianceError(f"the label languages {list(self.label_languages)} must be language tags such as en or "
                             "zh-hant (set ALLIANCES_LABEL_LANGUAGES to a comma-separated list, e.g. en,zh,de)")

    def graph_iri(self, name: str) -> str:
        """IRI of a non-source named graph: ontology, taxonomies or derived."""
        return f"{self.base}graph/{name}"

    def entity_iri(self, kind: str, ident: str) -> str:
        return f"{self.base}{kind}/{ident}"

    def display(self, path: Path) -> str:
        """A path as messages show it: relative to the project when inside it. The file itself is
        not resolved, so that a link is named as the link, not as its target."""
        try:
            return str((path.parent.resolve() / path.name).relative_to(PROJECT_ROOT))
        except ValueError:
            return str(path)


def label_languages_from_env() -> tuple[str, ...]:
    configured = os.environ.get("ALLIANCES_LABEL_LANGUAGES")
    if configured is None:
        return DEFAULT_LABEL_LANGUAGES
    return tuple(tag.strip() for tag in configured.split(",") if tag.strip())


def default_store_path() -> Path:
    configured = os.environ.get("ALLIANCES_STORE")
    return Path(configured) if configured else project_store_path()


def project_store_path() -> Path:
    """The embedded store's folder inside the project, where builds go by default."""
    return PROJECT_ROOT / ".alliances" / "store"
