"""A comparison as an Atom feed (RFC 4287), so that a strategist can follow the graph, or one
company, in any feed reader.

Written with the standard library's ElementTree, not feedgen (which the registry has): feedgen
needs lxml, and once lxml is importable networkx writes GraphML through it, which refuses labels
with control characters, so ``alliances export graphml`` of such data failed
(tests/test_hostile_output.py). The feed is a dozen elements; ElementTree escapes text and
attributes, and the characters XML 1.0 forbids become U+FFFD first (graph.safe_output.xml_text).

- Ids are URNs that stay the same whenever the same two builds are compared: the feed's names what
  it follows (``urn:alliance-graph:changes:all``, ``...:organisation:<id>``); an entry's is a hash
  of the two builds (id and time, or the commit of a revision built for it) and of the change.
- ``updated`` is the time the newer build was made: when the change entered the graph.
- Each entry links to its entity's page. Links are paths (``/id/alliance/<id>``), which a reader
  resolves against the feed's own address, so the feed never names a host that a client sent.
- A feed holds at most ``MAX_ENTRIES`` entries and says so when it leaves some out.
"""
from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

from graph.changes.compare import Change, Comparison
from graph.changes.render import summary
from graph.safe_output import xml_text

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 500
GENERATOR = "alliance-graph"


def feed_id(scope: str) -> str:
    return f"urn:alliance-graph:changes:{scope}"


def entry_id(comparison: Comparison, change: Change) -> str:
    """A kept build is named by its id and time; a git revision built for the comparison by its
    commit alone (each temporary build has a new time)."""
    since = [comparison.since.id] if comparison.since.id.startswith("git:") else [comparison.since.id, comparison.since.created]
    identity = [*since, comparison.until.id, comparison.until.created, change.to_json()]
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"urn:alliance-graph:change:{digest[:40]}"


def entity_path(root: str, change: Change) -> str:
    return f"{root}/id/{change.entity_kind}/{change.entity}"


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = xml_text(text)
    return element


def render_atom(comparison: Comparison, title: str, scope: str = "all", self_path: str = "/changes.atom",
                root: str = "") -> bytes:
    """The feed of ``comparison`` (see the module); ``root`` is the prefix the explorer is served under."""
    updated = comparison.until.created  # RFC 3339 already (UTC, ending in Z)
    shown = comparison.changes[:MAX_ENTRIES]
    left_out = len(comparison.changes) - len(shown)
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _text(feed, "id", feed_id(scope))
    _text(feed, "title", title)
    _text(feed, "subtitle", f"Changes from {comparison.since.describe()} to {comparison.until.describe()}"
          + (f" ({comparison.how})" if not comparison.changes and comparison.since == comparison.until else "")
          + (f"; {len(shown)} of {len(comparison.changes)} shown, see alliances changes for all" if left_out else ""))
    _text(feed, "updated", updated)
    _text(ET.SubElement(feed, "author"), "name", GENERATOR)
    _text(feed, "generator", GENERATOR)
    ET.SubElement(feed, "link", {"href": self_path, "rel": "self", "type": "application/atom+xml"})
    ET.SubElement(feed, "link", {"href": f"{root}/", "rel": "alternate", "type": "text/html"})
    for change in shown:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", entry_id(comparison, change))
        _text(entry, "title", summary(change))
        _text(entry, "updated", updated)
        ET.SubElement(entry, "link", {"href": entity_path(root, change), "rel": "alternate", "type": "text/html"})
        ET.SubElement(entry, "category", {"term": change.kind})
        sources = "; ".join(s.file or s.id for s in change.sources)
        _text(entry, "content", summary(change) + (f". Source: {sources}" if sources else ""), type="text")
    ET.indent(feed)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body + b"\n"
