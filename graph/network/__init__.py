"""Networks of the alliance landscape: projections (networkx), filters, measures, paths, timeline.

Everything is built from ``load_landscape(store)``, which reads the store with SPARQL.
"""
