"""``rnnviz gui [FILE.csv]``: open the window."""

from __future__ import annotations

import argparse

from rnnviz.core.errors import RnnvizError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("file", nargs="?", help="CSV file to open (default: a bundled dataset)")


def set_defaults(args: argparse.Namespace) -> None:
    """Fill in the defaults when ``rnnviz`` runs with no command."""
    for name, value in (("file", None),):
        if not hasattr(args, name):
            setattr(args, name, value)


def run(args: argparse.Namespace) -> int:
    """Open the window."""
    raise RnnvizError(
        "not_built",
        "The rnnviz window is not built yet in this version; use 'rnnviz inspect FILE.csv' "
        "or 'rnnviz --help' for what works now.",
    )
