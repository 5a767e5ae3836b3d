"""The decarbonization alliance graph.

The folders name the stages data flows through, then the front ends:
``records/`` (YAML records, taxonomies, names) -> ``build/`` (compile, derive, publish) with
``validate/`` (schema, integrity, SHACL) -> ``rdf/`` (the store, namespaces, SPARQL text) ->
``ask/`` (named queries, results, profiles, exports, stats) and ``network/`` (networkx views and
measures) -> ``visualise/`` (HTML page, images); front ends: ``cli/`` (the ``alliances`` command),
``serve/`` (SPARQL endpoint, ``serve/explorer/`` web pages) and ``api`` for notebooks and other
programs. ``config``, ``errors``, ``problems`` and ``safe_output`` are shared by all of them.
"""
