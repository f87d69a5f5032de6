"""``rnnviz gui [FILE.csv] [options]``: open the window.

``rnnviz`` with no arguments opens the window on a bundled real dataset, ready to train:
press Start (or Space). With ``--train --screenshot PATH`` the real window trains, saves a
picture of itself (and, with ``--views-dir``, one picture per view) and exits; with no
display it draws off-screen, so the README pictures can be made on a server.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rnnviz.core.config import CELLS
from rnnviz.core.errors import ConfigError, DataError, RnnvizError

_OPTIONS = ("file", "sample", "target", "cell", "epochs", "hidden", "layers", "lookback",
            "horizon", "lr", "max_batches", "train", "screenshot", "views_dir", "size")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("file", nargs="?", help="CSV file (or saved session .json) to open; "
                        "default: a bundled dataset")
    parser.add_argument("--sample", metavar="NAME",
                        help="open a bundled dataset by name (see File ▸ Open Sample)")
    parser.add_argument("--target", metavar="COL", help="column to forecast")
    parser.add_argument("--cell", choices=CELLS, help="recurrent cell type")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs to train")
    parser.add_argument("--hidden", type=int, metavar="N", help="hidden units per layer")
    parser.add_argument("--layers", type=int, metavar="N", help="stacked recurrent layers")
    parser.add_argument("--lookback", type=int, metavar="N", help="time steps per window")
    parser.add_argument("--horizon", type=int, metavar="N", help="steps predicted per window")
    parser.add_argument("--lr", type=float, metavar="X", help="learning rate")
    parser.add_argument("--max-batches", type=int, metavar="N", dest="max_batches",
                        help="cap on batches per epoch (quick demonstrations)")
    parser.add_argument("--train", action="store_true",
                        help="start training as soon as the data are ready")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="after training (with --train) or once the data are shown, save a "
                        "PNG of the window and exit")
    parser.add_argument("--views-dir", metavar="DIR", dest="views_dir",
                        help="with --screenshot: also save one PNG per view in DIR")
    parser.add_argument("--size", metavar="WxH", help="window size in pixels, e.g. 1600x1000")


def set_defaults(args: argparse.Namespace) -> None:
    """Fill in the defaults when ``rnnviz`` runs with no command."""
    for name in _OPTIONS:
        if not hasattr(args, name):
            setattr(args, name, False if name == "train" else None)


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        w = h = 0
    if not (320 <= w <= 10_000 and 240 <= h <= 10_000):
        raise ConfigError("bad_size", f"--size must look like 1600x1000 (width x height, at "
                          f"least 320x240); got {text!r}.")
    return w, h


def options_from_args(args: argparse.Namespace):
    """Check the arguments and turn them into :class:`rnnviz.gui.app.LaunchOptions`.

    Raises
    ------
    RnnvizError
        A file that does not exist, a value out of range, ``--views-dir`` without
        ``--screenshot``.
    """
    from rnnviz.core.config import DataConfig, ModelConfig, TrainConfig

    if args.file is not None and not Path(args.file).is_file():
        raise DataError("file_not_found", f"There is no file {args.file!r}. Check the name and "
                        "the folder, or run 'rnnviz' alone to open a bundled dataset.")
    if args.file is not None and args.sample is not None:
        raise ConfigError("file_and_sample", "Give either a FILE or --sample, not both.")
    if args.sample is not None:
        from rnnviz.core.samples import get_sample

        get_sample(args.sample)  # raises a DataError naming the samples
    if args.views_dir is not None and args.screenshot is None:
        raise ConfigError("views_dir_alone", "--views-dir needs --screenshot PATH too.")
    if args.screenshot is not None and Path(args.screenshot).suffix.lower() != ".png":
        raise ConfigError("bad_screenshot", f"--screenshot must name a .png file; got "
                          f"{args.screenshot!r}.")
    overrides: dict[str, object] = {}
    for name, field in (("hidden", "hidden"), ("layers", "layers"), ("lookback", "lookback"),
                        ("horizon", "horizon"), ("lr", "lr"),
                        ("max_batches", "max_batches_per_epoch")):
        value = getattr(args, name)
        if value is not None:
            overrides[field] = value
    # validate every value with the same rules the engine uses
    ModelConfig(**{k: v for k, v in overrides.items() if k in ("hidden", "layers")},
                **({"cell": args.cell} if args.cell else {}))
    TrainConfig(**{k: v for k, v in overrides.items() if k in ("lr", "max_batches_per_epoch")},
                **({"epochs": args.epochs} if args.epochs is not None else {}))
    DataConfig(**{k: v for k, v in overrides.items() if k in ("lookback", "horizon")})
    from rnnviz.gui.app import LaunchOptions

    return LaunchOptions(
        file=str(Path(args.file).resolve()) if args.file else None,
        sample=args.sample, target=args.target, cell=args.cell, epochs=args.epochs,
        overrides=overrides, train=bool(args.train), screenshot=args.screenshot,
        views_dir=args.views_dir, size=_size(args.size),
    )


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    """Open the window; return its exit status."""
    options = options_from_args(args)
    if not os.environ.get("QT_QPA_PLATFORM") and not _has_display():
        if options.screenshot:
            os.environ["QT_QPA_PLATFORM"] = "offscreen"  # pictures need no screen
        else:
            raise RnnvizError(
                "no_display",
                "No display was found, so the window cannot open. Run rnnviz on a desktop, "
                "or under a virtual display (xvfb-run rnnviz), or use the headless commands "
                "(rnnviz train --help).",
            )
    from rnnviz.gui.app import main

    return main(options)
