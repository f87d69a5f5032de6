"""The ``rnnviz`` command line.

``rnnviz`` alone opens the window on a bundled dataset. Sub-commands run headless and print
the same numbers the window shows. Each sub-command lives in ``rnnviz/commands/<name>.py``
with ``add_arguments(parser)`` and ``run(args) -> int``; modules are imported only when
needed, so ``rnnviz --help`` and ``rnnviz inspect`` start without importing torch or Qt.

Errors the user can fix (:class:`rnnviz.core.errors.RnnvizError`) print one paragraph and
exit with status 2. Anything unexpected prints a short message naming the bug-report route
and exits with status 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from rnnviz import __version__

COMMANDS: dict[str, str] = {
    "gui": "open the window (the default when no command is given)",
    "inspect": "read a CSV file and report what was understood",
    "train": "train a model on a CSV file and write model, metrics, forecast and figures",
    "forecast": "forecast past the end of the data with a saved model",
    "trace": "export gates, states and per-step gradients of a saved model to .npz",
    "lesson": "run a classroom lesson headless and write its figures and results",
}


def _command_module(name: str):
    return importlib.import_module(f"rnnviz.commands.{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the argument parser.

    Parameters
    ----------
    only : str, optional
        Import and add the arguments of this sub-command only (faster start-up).
    """
    parser = argparse.ArgumentParser(
        prog="rnnviz",
        description="See inside recurrent neural networks while they learn. "
        "With no command, opens the window on a bundled dataset.",
    )
    parser.add_argument("--version", action="version", version=f"rnnviz {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show Python tracebacks of unexpected errors"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        if only is None or only == name:
            _command_module(name).add_arguments(p)
    return parser


def _first_command(argv: Sequence[str]) -> str | None:
    for a in argv:
        if a in COMMANDS:
            return a
        if not a.startswith("-"):
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from rnnviz.core.errors import RnnvizError

    debug = "--debug" in argv
    try:
        parser = build_parser(only=_first_command(argv) or "gui")
        args = parser.parse_args(argv)
        name = args.command or "gui"
        if args.command is None:
            _command_module("gui").set_defaults(args)
        return int(_command_module(name).run(args) or 0)
    except RnnvizError as exc:
        print(f"rnnviz: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnnviz: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (rnnviz inspect FILE | head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
        return 141  # 128 + SIGPIPE, as a program killed by the signal
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if debug:
            raise
        print(
            f"rnnviz: unexpected error ({type(exc).__name__}: {exc}). This is a bug in rnnviz; "
            "run the same command with --debug to see the details and please report them.",
            file=sys.stderr,
        )
        return 1


def entry() -> NoReturn:
    """The ``rnnviz`` program: :func:`main`, then the end of the process.

    When the window ran, the process ends through :func:`rnnviz.gui.app.end_process`
    (no Python finalization, which crashed in PySide's clean-up now and then); otherwise as
    usual.
    """
    code = main()
    app = sys.modules.get("rnnviz.gui.app")
    if app is not None and app.event_loop_ran:
        app.end_process(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
