"""What every command gets: the settings (store, IRI base) from ``--store`` and the environment.

The store is a folder of the embedded store or a remote SPARQL endpoint (graph.rdf.location);
commands that only read open either through ``open``; those that write or serve the embedded
store's folder ask for it through ``local_store``, which says what to do when it is remote.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Union

from graph.config import Settings, default_store_path, project_store_path
from graph.errors import AllianceError
from graph.rdf.location import RemoteEndpoint, store_location

if TYPE_CHECKING:
    from graph.rdf.remote import RemoteStore
    from graph.rdf.store import OxigraphStore


class Context:
    def __init__(self, store: str | Path | None, update: str | None = None, gsp: str | None = None) -> None:
        location = store_location(store if store is not None else default_store_path(), update, gsp)
        self.remote: RemoteEndpoint | None = location if isinstance(location, RemoteEndpoint) else None
        # With a remote store, the local folder is only where a command that needs one would look.
        self.settings = Settings(store_path=location if isinstance(location, Path) else project_store_path())
        self._opened: list[RemoteStore] = []

    def open(self) -> Union[OxigraphStore, RemoteStore]:
        if self.remote is not None:
            from graph.rdf.remote import RemoteStore

            store = RemoteStore(self.remote)
            self._opened.append(store)
            return store
        from graph.rdf.store import OxigraphStore

        return OxigraphStore.open(self.settings.store_path)

    def close(self) -> None:
        """Close the connections of the remote stores the command opened."""
        for store in self._opened:
            store.close()
        self._opened.clear()

    def local_store(self, command: str) -> Settings:
        """The settings of a command that needs the embedded store's folder."""
        if self.remote is not None:
            if command == "changes":  # a remote build keeps no manifest (graph.build.pipeline.build_remote)
                raise AllianceError(f"`alliances changes` compares the manifests that local builds keep, and a build "
                                    f"published to the remote store {self.remote} keeps none: run it on a local store "
                                    "(leave out --store URL, or give a folder)")
            raise AllianceError(f"`alliances {command}` works on the embedded store only for now; the remote store "
                                f"{self.remote} can be built by build, read by query, show, search, stats, network, "
                                "path and timeline, and served by serve")
        return self.settings
