"""Where the graph lives: a folder of the embedded store, or a SPARQL 1.1 endpoint on a server.

``--store`` and ``ALLIANCES_STORE`` take either. A value with a URL scheme is never a path: an
``http(s)://`` address is a remote query endpoint (its update and Graph Store Protocol endpoints
come from their own options), and any other scheme is refused, so that
``ALLIANCES_STORE=http://host:port/query alliances build`` can no longer build into a local
folder named ``http:``. Credentials come from the environment only, never from the command line,
where other users of the machine could read them.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from graph.errors import AllianceError

SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# 'C:' is a Windows drive, not a scheme.
DRIVE = re.compile(r"[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class RemoteEndpoint:
    """A SPARQL 1.1 service: its query endpoint, and where to send updates and graphs."""

    query: str
    update: str | None = None
    gsp: str | None = None
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.query


def looks_like_url(value: str) -> bool:
    """Whether the text starts with a URL scheme ('http:', 'ftp:'), which no store folder does."""
    return bool(SCHEME.match(value)) and not DRIVE.match(value)


def check_url(value: str, option: str) -> str:
    """An http(s) address with a host, or an error naming the option and what to write instead."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise AllianceError(f"{option}: '{value}' is not an http:// or https:// address of a SPARQL endpoint; "
                            "give such an address, or a folder path for the embedded store")
    if parts.username or parts.password:
        raise AllianceError(f"{option}: the address carries credentials; remove them and set "
                            "ALLIANCES_STORE_USER and ALLIANCES_STORE_PASSWORD instead")
    return value


def store_location(value: str | Path, update: str | None = None, gsp: str | None = None) -> Path | RemoteEndpoint:
    """The folder or the remote endpoint that ``--store`` (or ALLIANCES_STORE) names."""
    text = str(value)
    if not looks_like_url(text):
        if update or gsp:
            raise AllianceError("--update-endpoint and --gsp-endpoint go with a remote store: give --store an "
                                "http:// or https:// query endpoint, or leave them out")
        return Path(text)
    return RemoteEndpoint(check_url(text, "--store"),
                          check_url(update, "--update-endpoint") if update else None,
                          check_url(gsp, "--gsp-endpoint") if gsp else None,
                          os.environ.get("ALLIANCES_STORE_USER") or None,
                          os.environ.get("ALLIANCES_STORE_PASSWORD") or None)


def refuse_url_as_path(path: Path) -> None:
    """A store folder that is really a URL ('http:/host/query' once pathlib folded the '//')."""
    if looks_like_url(str(path)):
        raise AllianceError(f"the store '{path}' is a URL, not a folder: a remote store is given to --store "
                            "(or ALLIANCES_STORE) as an http:// or https:// SPARQL endpoint")
