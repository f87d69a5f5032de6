"""``rnnviz trace``: not built yet."""

from __future__ import annotations

import argparse

from rnnviz.core.errors import RnnvizError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    raise RnnvizError("not_built", "'rnnviz trace' is not available yet in this version.")
