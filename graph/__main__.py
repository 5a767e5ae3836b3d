"""``python -m graph ...`` runs the ``alliances`` command line."""
from graph.cli import main

main()
