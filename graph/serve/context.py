"""Settings of a running server, and what every route may use."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from graph.config import Settings, default_store_path

if TYPE_CHECKING:  # the server process imports these; the CLI's option parsing does not need them
    from graph.rdf.location import RemoteEndpoint
    from graph.rdf.store import PublishedStore
    from graph.serve.cache import ResultCache
    from graph.serve.workers import QueryPool

MIB = 2**20
GIB = 2**30
DEFAULT_CACHE_BYTES = 64 * MIB  # answers kept per server (graph.serve.cache), ALLIANCES_CACHE_SIZE / --cache-size
MIN_WORKER_MEMORY = 64 * MIB  # below this a worker cannot even open the store
MAX_DEFAULT_WORKER_MEMORY = 4 * GIB  # a query that needs more is rarely one a shared endpoint should run
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "K": 2**10, "M": MIB, "G": GIB, "T": 2**40}


def default_workers() -> int:
    """One worker per core, at least two, so one slow query never holds the only worker."""
    return max(2, os.cpu_count() or 2)


def max_running(workers: int) -> int:
    """Queries that may run at once with ``workers`` workers: as many again as spares
    (graph.serve.workers, "Spare workers"), so that as many runaway clients as workers leave the
    others served. The default memory per worker is sized on this number."""
    return 2 * max(1, workers)


def parse_size(text: str, name: str = "--worker-memory", minimum: int = MIN_WORKER_MEMORY) -> int:
    """Bytes from a size such as 2G, 512M, 1.5GiB or 300MB (binary multiples; a bare number is bytes).
    Hand-written: five lines, against a dependency for one option."""
    match = _SIZE.fullmatch(text)
    where = f"{name}: " if name else ""
    if not match:
        raise ValueError(f"{where}'{text}' is not a size; write it as 2G, 512M or 300MB")
    size = int(float(match[1]) * _UNITS[match[2].upper()])
    if size < minimum:
        raise ValueError(f"{where}{text} is too little for a query worker; give at least {format_size(minimum)}")
    return size


def format_size(size: int) -> str:
    """A size as the options take it: 300M, 2G, or 1.5G."""
    if size >= GIB:
        return f"{size / GIB:.1f}".removesuffix(".0") + "G"
    return f"{size / MIB:.0f}M"


def total_memory() -> int:
    """The memory this process may use: the machine's, or its container's (cgroup v2) limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def default_worker_memory(workers: int) -> int:
    """An equal share of memory per worker that may run a query (``workers``: max_running),
    leaving one share to the server and the system, capped so that one query cannot take a large machine's memory."""
    return max(MIN_WORKER_MEMORY, min(MAX_DEFAULT_WORKER_MEMORY, total_memory() // (workers + 1)))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_size(name: str, minimum: int = MIN_WORKER_MEMORY) -> int | None:
    value = os.environ.get(name)
    return parse_size(value, name, minimum) if value else None


def _cache_size() -> int:
    size = _env_size("ALLIANCES_CACHE_SIZE", 0)
    return DEFAULT_CACHE_BYTES if size is None else size


@dataclass(frozen=True)
class ServeSettings:
    """Defaults come from ALLIANCES_* environment variables, then these values."""

    store_path: Path = field(default_factory=default_store_path)
    host: str = field(default_factory=lambda: os.environ.get("ALLIANCES_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("ALLIANCES_PORT", "8000")))
    deadline_s: float = field(default_factory=lambda: _env_float("ALLIANCES_DEADLINE", 30.0))
    workers: int = field(default_factory=lambda: int(os.environ.get("ALLIANCES_WORKERS", str(default_workers()))))
    max_query_chars: int = 100_000
    max_body_bytes: int = 1_000_000
    max_rows: int = 100_000
    max_result_bytes: int = 64_000_000
    worker_memory: int | None = field(default_factory=lambda: _env_size("ALLIANCES_WORKER_MEMORY"))  # None: sized from the machine
    client_workers: int = field(default_factory=lambda: int(os.environ.get("ALLIANCES_CLIENT_WORKERS", "1")))
    client_queue: int = field(default_factory=lambda: int(os.environ.get("ALLIANCES_CLIENT_QUEUE", "8")))
    allow_update: bool = False
    update_token: str | None = None
    base: str = field(default_factory=lambda: Settings().base)
    access_log: bool = True
    allowed_hosts: tuple[str, ...] = field(default_factory=lambda: tuple(os.environ.get("ALLIANCES_ALLOWED_HOSTS", "").split()))
    request_timeout_s: float = field(default_factory=lambda: _env_float("ALLIANCES_REQUEST_TIMEOUT", 20.0))
    max_url_bytes: int = 64_000  # at most 65,535: httptools cannot parse a longer URL (graph/serve/connections.py)
    max_header_bytes: int = 32_768
    # Bytes of answers kept for the published build (graph.serve.cache); 0: none kept.
    cache_bytes: int = field(default_factory=_cache_size)
    # A remote SPARQL store to forward queries to (graph.serve.forward), in place of the store folder.
    remote: RemoteEndpoint | None = None

    def memory_limit(self) -> int:
        """Bytes one query worker may use: ``worker_memory``, else a share of the machine's memory."""
        return self.worker_memory or default_worker_memory(1 if self.allow_update else max_running(self.workers))


@dataclass
class ServerContext:
    """Shared by the routes: settings, a read-only store for the server's own trusted queries
    (explorer pages), which follows the published build, and the worker pool that runs every
    query a client sends."""

    settings: ServeSettings
    store: PublishedStore | None  # None with updates on: the read-write worker is the only handle
    pool: QueryPool  # or its subclass RemotePool, in front of a remote store
    cache: ResultCache | None = None  # answers of read queries on the published build (graph.serve.cache)
