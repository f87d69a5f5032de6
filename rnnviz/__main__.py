"""``python -m rnnviz`` runs the command line (the window with no arguments)."""

from rnnviz.cli import entry

entry()
