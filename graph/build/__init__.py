"""Build: records and vocabulary become a store, with what is derived once for every reader.

``pipeline`` compiles ``data/`` and ``ontology/`` into a new build folder, validates it and
publishes it; ``derive`` runs the SPARQL in ``derivations/`` (partners, groups, the alliance's
year); ``display`` chooses each entity's display label in the configured language order.
"""
