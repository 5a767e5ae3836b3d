"""RDF plumbing shared by every stage: the store and its build folders, the namespaces, and the
small SPARQL text tools (a lexer) that the endpoint and the explorer use."""
