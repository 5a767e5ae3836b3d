"""``alliances serve``: a SPARQL 1.1 Protocol endpoint and a web explorer over the built graph.

- ``protocol.py``: requests (GET, POST form, POST direct), content negotiation, status codes
- ``safety.py`` with ``graph.rdf.sparql_text``: what is refused before evaluation (SERVICE, LOAD, size, nesting, operators)
- ``workers.py``: queries run in worker processes that are killed at the deadline
- ``cache.py``: answers kept per published build; ``fastpath.py``: a kept answer sent before Starlette
- ``forward.py``: in front of a remote SPARQL store (``--store URL``), queries forwarded with the same limits
- ``sandbox.py``: worker processes cannot open network connections
- ``description.py``: the SPARQL service description
- ``app.py``: the Starlette application; ``explorer.py``: the HTML pages
- ``hosts.py``: the Host/Origin allow-list for updates; ``connections.py``: uvicorn's options and
  the request deadline and head limits it lacks; ``access_log.py``: one JSON line per request
"""
