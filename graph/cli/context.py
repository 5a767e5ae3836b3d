"""What every command gets: the settings (store, IRI base) from ``--store`` and the environment."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from graph.config import Settings, default_store_path

if TYPE_CHECKING:
    from graph.rdf.store import OxigraphStore


class Context:
    def __init__(self, store: Path | None) -> None:
        self.settings = Settings(store_path=store or default_store_path())

    def open(self) -> OxigraphStore:
        from graph.rdf.store import OxigraphStore

        return OxigraphStore.open(self.settings.store_path)
