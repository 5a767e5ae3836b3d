"""Curated records: YAML files in ``data/sources/``, one per source document.

A record file says what one source states: its own metadata, and the organisations, people,
posts, alliances, platforms and claims it reports, each with a short quote. ``read`` loads and
checks a file; ``emit`` turns it into RDF for that source's named graph.
"""
from graph.records.read import Record, read_record, record_files
from graph.records.emit import emit_record

__all__ = ["Record", "read_record", "record_files", "emit_record"]
