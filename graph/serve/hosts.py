"""Which ``Host`` and ``Origin`` values an update may come with: the defence against DNS rebinding.

A page of ``http://evil.example:PORT`` whose name the attacker re-points at 127.0.0.1 talks to
this server as its own origin: the browser sends ``Host: evil.example:PORT`` and
``Origin: http://evil.example:PORT``, which agree with each other, so comparing the two proves
nothing. Only names the server was started for are trusted:

- the address it is bound to, at its port (``127.0.0.1:8000``);
- ``localhost``, ``127.0.0.1`` and ``[::1]`` at its port, when it is bound to a loopback or a
  wildcard address (a wildcard includes loopback);
- each ``--allowed-host NAME[:PORT]`` (env ``ALLIANCES_ALLOWED_HOSTS``, space-separated): NAME at
  PORT, or without PORT at the server's port or at 80 and 443 (a reverse proxy in front).

Names are compared case-insensitively; a missing port is the scheme's default (80 or 443). IP
addresses of other interfaces and the machine's own names are not guessed: give them with
``--allowed-host``.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from graph.errors import AllianceError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
DEFAULT_PORTS = {"http": 80, "https": 443}
NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


def authority(text: str, scheme: str = "http") -> tuple[str, int] | None:
    """(name, port) of ``host[:port]``, or None when it is not one (a missing port is the
    scheme's default)."""
    try:
        parts = urlsplit(f"//{text}")
        name, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not name or parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    name = name.lower()
    ipv6 = ":" in name
    if (ipv6 and not (text.startswith("[") and _is_ip(name, "version"))) or (not ipv6 and not NAME.fullmatch(name)):
        return None
    return name, port if port is not None else DEFAULT_PORTS.get(scheme, 80)


def origin_authority(origin: str) -> tuple[str, int] | None:
    """(name, port) of an ``Origin`` header (``scheme://host[:port]``); None for ``null`` or
    anything that is not an http(s) origin."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or parts.path or parts.query or parts.fragment:
        return None
    return authority(parts.netloc, parts.scheme)


def _is_ip(name: str, test: str) -> bool:
    try:
        return bool(getattr(ipaddress.ip_address(name), test))
    except ValueError:
        return False


class HostPolicy:
    """The set of (name, port) a request to this server may name as its Host or Origin."""

    def __init__(self, bound_host: str, port: int, allowed: Iterable[str] = ()) -> None:
        self.allowed: set[tuple[str, int]] = set()
        bound = bound_host.strip("[]").lower()
        if not _is_ip(bound, "is_unspecified"):
            self.allowed.add((bound, port))
        if bound == "localhost" or _is_ip(bound, "is_loopback") or _is_ip(bound, "is_unspecified"):
            self.allowed.update((name, port) for name in LOOPBACK_NAMES)
        for entry in allowed:
            given = authority(entry.strip())
            if given is None:
                raise AllianceError(f"--allowed-host {entry!r} is not a host name or address with an optional port; "
                                 f"write it as NAME or NAME:PORT ([ADDRESS]:PORT for IPv6)")
            if ":" in entry.rsplit("]", 1)[-1]:  # an explicit port
                self.allowed.add(given)
            else:
                self.allowed.update((given[0], p) for p in (port, 80, 443))

    def allows_host(self, host: str | None, scheme: str) -> bool:
        found = authority(host, scheme) if host else None
        return found is not None and found in self.allowed

    def allows_origin(self, origin: str) -> bool:
        found = origin_authority(origin)
        return found is not None and found in self.allowed
