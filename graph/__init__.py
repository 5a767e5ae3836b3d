"""The decarbonization alliance graph.

Modules by task: ``build`` (records -> store), ``validate/`` (checks), ``query`` (named SPARQL),
``resolve`` (names in any language), ``profile`` (show), ``export``, ``cli`` (command line);
``api`` gathers them for notebooks and other programs.
"""
