"""A comparison as an Atom feed (RFC 4287), written by feedgen (on PyPI, lxml underneath), so
that a strategist can follow the graph, or one company, in any feed reader.

- Ids are URNs that stay the same whenever the same two builds are compared: the feed's names what
  it follows (``urn:alliance-graph:changes:all``, ``...:organisation:<id>``); an entry's is a hash
  of the two builds (id and time) and of the change.
- ``updated`` is the time the newer build was made: when the change entered the graph.
- Each entry links to its entity's page. Links are paths (``/id/alliance/<id>``), which a reader
  resolves against the feed's own address, so the feed never names a host that a client sent.
- Text goes in as text (lxml escapes it); characters XML 1.0 forbids become U+FFFD
  (graph.safe_output.xml_text). A feed holds at most ``MAX_ENTRIES`` entries and says so when it
  leaves some out.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from feedgen.feed import FeedGenerator

from graph.changes.compare import Change, Comparison
from graph.changes.render import summary
from graph.safe_output import xml_text

MAX_ENTRIES = 500
GENERATOR = "alliance-graph"


def feed_id(scope: str) -> str:
    return f"urn:alliance-graph:changes:{scope}"


def entry_id(comparison: Comparison, change: Change) -> str:
    identity = [comparison.since.id, comparison.since.created, comparison.until.id, comparison.until.created, change.to_json()]
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"urn:alliance-graph:change:{digest[:40]}"


def entity_path(root: str, change: Change) -> str:
    return f"{root}/id/{change.entity_kind}/{change.entity}"


def render_atom(comparison: Comparison, title: str, scope: str = "all", self_path: str = "/changes.atom",
                root: str = "") -> bytes:
    """The feed of ``comparison`` (see the module); ``root`` is the prefix the explorer is served under."""
    updated = _time(comparison.until.created)
    feed = FeedGenerator()
    feed.id(feed_id(scope))
    feed.title(xml_text(title))
    shown = comparison.changes[:MAX_ENTRIES]
    left_out = len(comparison.changes) - len(shown)
    feed.subtitle(xml_text(f"Changes from {comparison.since.describe()} to {comparison.until.describe()}"
                           + (f"; {len(shown)} of {len(comparison.changes)} shown, see alliances changes for all"
                              if left_out else "")))
    feed.updated(updated)
    feed.author({"name": GENERATOR})
    feed.generator(GENERATOR)
    feed.link(href=self_path, rel="self", type="application/atom+xml")
    feed.link(href=f"{root}/", rel="alternate", type="text/html")
    for change in shown:
        entry = feed.add_entry(order="append")
        entry.id(entry_id(comparison, change))
        entry.title(xml_text(summary(change)))
        entry.updated(updated)
        entry.link(href=entity_path(root, change), rel="alternate", type="text/html")
        entry.category(term=change.kind)
        sources = "; ".join(s.file or s.id for s in change.sources)
        entry.content(xml_text(summary(change) + (f". Source: {sources}" if sources else "")), type="text")
    body: bytes = feed.atom_str(pretty=True)
    return body


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
