"""Settings of a running server, and what every route may use."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from graph.config import Settings, default_store_path


def default_workers() -> int:
    """One worker per core, at least two, so one slow query never holds the only worker."""
    return max(2, os.cpu_count() or 2)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


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
    allow_update: bool = False
    update_token: str | None = None
    base: str = field(default_factory=lambda: Settings().base)
    access_log: bool = True


@dataclass
class ServerContext:
    """Shared by the routes: settings, a read-only store for the server's own trusted queries
    (explorer pages), which follows the published build, and the worker pool that runs every
    query a client sends."""

    settings: ServeSettings
    store: object  # graph.store.PublishedStore (or an OxigraphStore), read-only
    pool: object  # graph.serve.workers.QueryPool
