"""Asking the built graph: named queries (``queries/*.rq``), result formats, exports, name
resolution, profiles, coverage statistics and their rendering as text."""
