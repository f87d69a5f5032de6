"""``rnnviz lesson``: run a classroom lesson headless and write its figures and results.

::

    rnnviz lesson --list
    rnnviz lesson NAME --out DIR [--overwrite] [--quick] [--set lag=30 ...] [--threads N]
    rnnviz lesson NAME --screenshot PATH [--compare-screenshot PATH] [--quick]

The headless run trains the lesson's models side by side (same windows, seed and batches)
and writes into DIR:

- ``results.json``: the lesson, its parameter values, the mean baseline, and for each model
  the final train / validation loss, test loss and metrics, seconds per epoch and the
  gradient ratio ||dL/dh_1|| / ||dL/dh_T|| on the probed test windows (before and after
  training), plus the per-step gradient medians;
- ``loss.png`` (loss curves overlaid), ``gradients.png`` (||dL/dh_t|| per step overlaid on
  one log axis), ``forecast.png`` (forecasts overlaid, against time when the data have times;
  or predictions against targets for sequence tasks, the slides' checks under each plot),
  ``gates.png`` (each model's gates side by side, with colour bars on the fixed ranges 0..1
  and -1..1) and, for forecasting lessons, ``horizon.png`` (recursive error against steps
  ahead). Legends sit outside the plots;
- ``history_<n>.csv``: one row per epoch for each model.

``--screenshot`` opens the real lesson window (it needs a display: use ``xvfb-run`` on a
server), trains with the lesson's budget, saves a picture of the window and exits.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

from rnnviz.core.errors import ConfigError, RnnvizError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("name", nargs="?", help="lesson name (see --list) or a lesson .json file")
    parser.add_argument("--list", action="store_true", help="list the lessons and exit")
    parser.add_argument("--out", metavar="DIR", help="folder for results.json and the figures "
                        "(created; one that already holds files is refused without --overwrite)")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into an --out folder that already holds files")
    parser.add_argument("--quick", action="store_true",
                        help="tiny budget (a few seconds): for tests and previews, not for results")
    parser.add_argument("--set", dest="values", action="append", default=[], metavar="NAME=VALUE",
                        help="change a lesson parameter, e.g. --set lag=30 (repeatable)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="torch threads (default: torch's own choice)")
    parser.add_argument("--screenshot", metavar="PATH",
                        help="open the lesson window, train, save a PNG of it and exit")
    parser.add_argument("--compare-screenshot", metavar="PATH",
                        help="with --screenshot: also save a PNG of the compare view alone")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from rnnviz.core.lessons import list_lessons, load_lesson

    if args.list:
        for lesson in list_lessons():
            print(f"{lesson.name:22s} {lesson.title}")
            print(f"{'':22s} {lesson.summary}")
        return 0
    if not args.name:
        raise ConfigError("no_lesson", "Name a lesson (e.g. 'rnnviz lesson adding_problem --out "
                          "results'), or run 'rnnviz lesson --list' to see them.")
    lesson = load_lesson(args.name)
    values = parse_values(args.values)
    if values:
        lesson = lesson.with_values(values)
    if args.quick:
        lesson = lesson.quick_version()
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise ConfigError("out_of_range", f"--threads must be from 1 to 256; got {args.threads}.")
    if args.screenshot:
        return _screenshot(lesson, args)
    if not args.out:
        raise ConfigError("no_out", "Say where to write the results with --out DIR.")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError("out_is_file", f"--out {out} is an existing file, not a folder. "
                          "Choose a folder name (it is created if missing).")
    from rnnviz.core.runner import refuse_existing

    refuse_existing(out, what="the lesson's results",
                    overwrite=bool(getattr(args, "overwrite", False)))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("bad_out", f"Cannot create the folder {out} ({exc.strerror}); choose "
                          "a folder you can write to.") from None
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    summary = run_headless(lesson, out, quiet=args.quiet)
    print(summary)
    return 0


def parse_values(items: list[str]) -> dict[str, Any]:
    """``["lag=30", "clipping=on"]`` -> ``{"lag": "30", "clipping": True}``.

    Numbers stay text (the lesson parameter converts and checks them); ``on/off/true/false``
    become booleans, ``null``/``none`` None.
    """
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError("bad_set", f"--set takes NAME=VALUE (e.g. --set lag=30); got {item!r}.")
        v: Any = value.strip()
        low = v.lower()
        if low in ("on", "true", "yes"):
            v = True
        elif low in ("off", "false", "no"):
            v = False
        elif low in ("null", "none"):
            v = None
        out[name.strip()] = v
    return out


# ---------------------------------------------------------------------------- headless
def run_headless(lesson: Any, out: Path, *, quiet: bool = False) -> str:
    """Train a lesson's models and write results.json and the figures into ``out``.

    Returns
    -------
    str
        A few lines summarising the results (what the command prints at the end).
    """
    from rnnviz.core.compare import mean_baseline, results_table
    from rnnviz.core.events import Diverged, EpochDone
    from rnnviz.core.lessons import make_comparison

    t0 = time.perf_counter()
    cmp = make_comparison(lesson)
    for label, ev in cmp.events():
        if quiet:
            continue
        if isinstance(ev, EpochDone):
            print(f"[{label}] epoch {ev.epoch}: train loss {ev.train_loss:.4g}, "
                  f"validation loss {ev.val_loss:.4g} ({ev.seconds:.1f} s)", flush=True)
        elif isinstance(ev, Diverged):
            print(f"[{label}] {ev.message}", flush=True)
    seconds = time.perf_counter() - t0
    results = [cmp.results[label] for label in cmp.labels]
    # the mean baseline only means something when every model learns the same data
    shared = cmp.data if all(r.data is None for r in cmp.runs) else None
    doc = {
        "lesson": lesson.name,
        "title": lesson.title,
        "quick": lesson.quick,
        "values": lesson.values,
        "seed": lesson.seed,
        "data": lesson.data.describe(),
        "mean_baseline_test_mse": _num(mean_baseline(shared)) if shared is not None else None,
        "seconds": seconds,
        "table": results_table(results),
        "models": [r.to_dict() for r in results],
        "settings": lesson.to_dict(),
    }
    (out / "results.json").write_text(json.dumps(doc, indent=2, default=_json_default) + "\n")
    for i, label in enumerate(cmp.labels, start=1):
        cmp.histories[label].write_history_csv(out / f"history_{i}_{_slug(label)}.csv")
    write_figures(cmp, lesson, out)
    lines = [f"Lesson '{lesson.name}'{' (quick budget)' if lesson.quick else ''}: "
             f"{seconds:.1f} s. Results in {out}/results.json"]
    if doc["mean_baseline_test_mse"] is not None:
        lines.append(f"  predicting the mean: test MSE {doc['mean_baseline_test_mse']:.4g}")
    for r in results:
        lines.append(
            f"  {r.label:20s} test MSE {r.test_mse:.4g}  gradient ratio {r.gradient_ratio:.3g} "
            f"(start {r.gradient_ratio_start:.3g})  {r.seconds_per_epoch:.2f} s/epoch"
            + (f"  [{r.finish_reason}]" if r.finish_reason not in ("completed", "") else "")
        )
    return "\n".join(lines)


def _num(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "model"


# ---------------------------------------------------------------------------- figures
COLORS = ("#1f77b4", "#d62728", "#2ca02c")
DPI = 110
"""Resolution of the PNG files."""
GATE_TITLES = {"cell": "candidate (cell) gate", "new": "new (candidate) gate"}
"""Gate titles as ``rnnviz train``'s gates figure words them (LSTM ``cell`` is the candidate g)."""
_LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0,
           "fontsize": 8}
"""Legends sit outside the axes, on the right, so they never cover data."""


def write_figures(cmp: Any, lesson: Any, out: Path) -> list[Path]:
    """Write the overlay figures of a finished comparison (PNG, no display needed).

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    written = [
        _loss_figure(plt, cmp, out / "loss.png"),
        _gradient_figure(plt, cmp, out / "gradients.png"),
        _forecast_figure(plt, cmp, out / "forecast.png"),
    ]
    gates = _gates_figure(plt, cmp, out / "gates.png")
    if gates is not None:
        written.append(gates)
    if "horizon" in lesson.views:
        h = _horizon_figure(plt, cmp, out / "horizon.png")
        if h is not None:
            written.append(h)
    return written


def _save(plt: Any, fig: Any, path: Path) -> Path:
    """Save (the figures use constrained layout: titles, legends and colour bars fit)."""
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _loss_figure(plt: Any, cmp: Any, path: Path) -> Path:
    from rnnviz.core.history import smooth

    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    for i, label in enumerate(cmp.labels):
        h = cmp.histories[label]
        c = COLORS[i % len(COLORS)]
        b = h.batch_arrays()
        if b["step"].size:
            w = max(1, min(50, b["step"].size // 10))
            ax.plot(b["step"], smooth(b["loss"], w), color=c, alpha=0.45, lw=1,
                    label=f"{label}: train, per batch" + (f" (mean of {w})" if w > 1 else ""))
        e = h.epoch_arrays()
        if e["step"].size:
            ax.plot(e["step"], e["val_loss"], color=c, lw=2, marker="o", ms=3,
                    label=f"{label}: validation")
    base = cmp.data if all(r.data is None for r in cmp.runs) else None
    if base is not None:
        from rnnviz.core.compare import mean_baseline

        mb = mean_baseline(base)
        if math.isfinite(mb):
            ax.axhline(mb, color="grey", ls="--", lw=1, label=f"predict the mean (test {mb:.3g})")
    ax.set_yscale("log")
    ax.set_xlabel("step (batches; every model saw the same batches)")
    ax.set_ylabel("loss (model units, log scale)")
    ax.set_title("Loss")
    ax.grid(alpha=0.2)
    ax.legend(**_LEGEND)
    return _save(plt, fig, path)


def _gradient_figure(plt: Any, cmp: Any, path: Path) -> Path:
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    for i, label in enumerate(cmp.labels):
        r = cmp.results.get(label)
        if r is None:
            continue
        c = COLORS[i % len(COLORS)]
        for g, style, when in ((r.grad_per_step, "-", "after training"),
                               (r.grad_per_step_start, ":", "before training")):
            g = np.asarray(g, dtype=np.float64)
            if g.size == 0:
                continue
            g = np.where(g > 0, g, np.nan)
            ratio = r.gradient_ratio if when == "after training" else r.gradient_ratio_start
            ax.plot(np.arange(1, g.size + 1), g, style, color=c, lw=2 if style == "-" else 1.2,
                    label=f"{label}, {when} (h_1/h_T = {ratio:.2g})")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("time step t (the loss is computed after the last step)")
    ax.set_ylabel("||dL/dh_t|| (median over probed windows)")
    ax.set_title("Gradient reaching each time step")
    ax.grid(alpha=0.2, which="both")
    ax.legend(**_LEGEND)
    return _save(plt, fig, path)


def _forecast_figure(plt: Any, cmp: Any, path: Path) -> Path:
    series_based = [lab for lab in cmp.labels if cmp.data_of(lab).series is not None
                    and cmp.histories[lab].forecast is not None]
    if series_based:
        fig = _series_forecast_figure(plt, cmp, series_based)
    else:
        fig = _prediction_scatter_figure(plt, cmp)
    return _save(plt, fig, path)


def _series_forecast_figure(plt: Any, cmp: Any, series_based: list[str]) -> Any:
    """Forecasts overlaid on the held-out part, against time when the data have times."""
    import numpy as np

    s = cmp.data_of(series_based[0]).series
    times = None if s.times is None else np.asarray(s.times, dtype="datetime64[ns]")

    def xs(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        return times[rows] if times is not None else rows

    fig, ax = plt.subplots(figsize=(11, 4.5), layout="constrained")
    first = cmp.histories[series_based[0]].forecast
    x = xs(first.index)
    ax.plot(x, first.actual[:, 0], color="black", lw=1.5, label="actual")
    for i, label in enumerate(cmp.labels):
        f = cmp.histories[label].forecast
        if f is None:
            continue
        c = COLORS[i % len(COLORS)]
        ax.plot(xs(f.index), f.one_step[:, 0], ":", color=c, lw=1.2, label=f"{label}: one-step")
        if np.isfinite(f.recursive).any():
            ax.plot(xs(f.index), f.recursive[:, 0], "-", color=c, lw=1.8,
                    label=f"{label}: recursive")
    idx = np.asarray(first.index, dtype=np.int64)
    ve = int(s.val_end)
    if idx.size and idx[0] < ve <= idx[-1]:
        ax.axvspan(xs(np.array([ve]))[0], x[-1], color="0.5", alpha=0.12, lw=0,
                   label="test part (before it: validation)")
    if times is not None:
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel("time")
    else:
        ax.set_xlabel("row")
    ax.set_ylabel(cmp.data_of(series_based[0]).target_names[0])
    ax.set_title("Forecasts over the held-out part (validation and test, data units)")
    ax.grid(alpha=0.2)
    ax.legend(**_LEGEND)
    return fig


def _prediction_scatter_figure(plt: Any, cmp: Any) -> Any:
    """Predicted against true values per model, with the slides' checks under each plot."""
    import numpy as np

    from rnnviz.core.forecast import predict_windows

    n = len(cmp.labels)
    fig, axes = plt.subplots(1, n, figsize=(4.4 * n, 4.6), squeeze=False, layout="constrained")
    for i, label in enumerate(cmp.labels):
        ax = axes[0, i]
        d = cmp.data_of(label)
        test = d.test if d.test.n else d.val
        pred = predict_windows(cmp.models[label], test.X[:500])
        y = np.asarray(test.Y[:500], dtype=np.float64)
        p = pred.astype(np.float64)
        if d.scaler is not None:
            y, p = d.scaler.inverse_targets(y), d.scaler.inverse_targets(p)
        y, p = y.ravel(), p.ravel()
        ax.scatter(y, p, s=8, color=COLORS[i % len(COLORS)], alpha=0.6)
        lo, hi = float(np.nanmin([y.min(), p.min()])), float(np.nanmax([y.max(), p.max()]))
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--")
        r = cmp.results.get(label)
        mse = f"test MSE {r.test_mse:.3g}" if r is not None else ""
        ax.set_title(f"{label}: {mse}", fontsize=10)
        ax.set_xlabel(f"true {d.target_names[0]}")
        ax.set_ylabel("predicted")
        ax.grid(alpha=0.2)
        if r is not None and r.checks:
            # under the x label, a few short lines: never wider than the plot
            ax.annotate(_checks_text(r.checks), xy=(0.5, 0.0), xycoords=ax.xaxis.label,
                        xytext=(0, -6), textcoords="offset points", ha="center", va="top",
                        fontsize=8, bbox=dict(facecolor="white", edgecolor="#cccccc"))
    fig.suptitle("Predictions against true values on the test windows")
    return fig


def _checks_text(checks: list[dict[str, Any]], width: int = 38) -> str:
    """The slides' questions and the model's answers, wrapped to ``width`` characters."""
    import textwrap

    lines: list[str] = []
    for c in checks:
        for part in (c.get("label") or "check", f"expected {_fmt(c['expected'])}",
                     f"got {_fmt(c['predicted'])}"):
            lines += textwrap.wrap(part, width) or [""]
    return "\n".join(lines)


def _fmt(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


def _gate_rows(traces: list[tuple[str, Any]]) -> tuple[list[list[str | None]], bool]:
    """Which gate each row of each column shows, and whether the rows line up by name.

    Columns whose gates share names (LSTM variants) line up by name (``forget`` beside
    ``forget``); columns with different gates (LSTM beside GRU) are stacked in their own order.
    """
    names = [list(t.gates) for _, t in traces]
    union: list[str] = []
    for ns in names:
        union += [g for g in ns if g not in union]
    if len(union) <= max(len(ns) for ns in names):
        return [[g if g in ns else None for g in union] for ns in names], True
    rows = max(len(ns) for ns in names)
    return [ns + [None] * (rows - len(ns)) for ns in names], False


def _gates_figure(plt: Any, cmp: Any, path: Path) -> Path | None:
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    from rnnviz.core.trace import SIGMOID_GATES

    traced = [(label, cmp.results[label].trace) for label in cmp.labels
              if label in cmp.results and cmp.results[label].trace is not None]
    traces = [(lab, t) for lab, t in traced if t.gates]
    if not traces:
        return None
    no_gates = [lab for lab, t in traced if not t.gates]
    layout, aligned = _gate_rows(traces)
    rows, cols = len(layout[0]), len(traces)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 2.0 * rows + 0.7), squeeze=False,
                             layout="constrained")
    for j, ((label, t), column) in enumerate(zip(traces, layout, strict=True)):
        last = max(i for i, g in enumerate(column) if g is not None)
        for i, g in enumerate(column):
            ax = axes[i, j]
            if g is None:
                ax.axis("off")
                missing = next((c[i] for c in layout if c[i] is not None), None)
                if aligned and missing is not None:  # rows lined up by name: say what is missing
                    ax.text(0.5, 0.5, f"{label}: no {GATE_TITLES.get(missing, f'{missing} gate')}",
                            transform=ax.transAxes, ha="center", va="center", fontsize=9,
                            color="0.4")
                continue
            a = np.asarray(t.gates[g][-1, 0], dtype=np.float32)  # (T, H) window 1, last layer
            T_, H_ = a.shape
            sig = g in SIGMOID_GATES  # 0..1; the others are tanh, -1..1
            im = ax.imshow(a.T, aspect="auto", origin="lower", interpolation="nearest",
                           cmap="viridis" if sig else "RdBu_r", vmin=0 if sig else -1, vmax=1,
                           extent=(0.5, T_ + 0.5, 0.5, H_ + 0.5))
            cb = fig.colorbar(im, ax=ax, fraction=0.06, pad=0.02)
            cb.set_ticks([0.0, 0.5, 1.0] if sig else [-1.0, 0.0, 1.0])
            cb.ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
            ax.set_title(f"{label}: {GATE_TITLES.get(g, f'{g} gate')}", fontsize=9)
            ax.set_ylabel("hidden unit", fontsize=8)
            if i == last:
                ax.set_xlabel("time step", fontsize=8)
            ax.tick_params(labelsize=7)
    title = ("Gates on the first probed test window after training "
             "(sigmoid gates 0..1, tanh candidates -1..1)")
    if no_gates:
        title += f"\n{', '.join(no_gates)}: no gates (a plain RNN), not shown"
    fig.suptitle(title, fontsize=10)
    return _save(plt, fig, path)


def _horizon_figure(plt: Any, cmp: Any, path: Path) -> Path | None:
    import numpy as np

    fig, ax = plt.subplots(figsize=(10, 4.5), layout="constrained")
    drew = False
    for i, label in enumerate(cmp.labels):
        f = cmp.histories[label].forecast
        if f is None:
            continue
        c = COLORS[i % len(COLORS)]
        err_r = np.abs(np.asarray(f.recursive[:, 0], np.float64) - f.actual[:, 0])
        err_1 = np.abs(np.asarray(f.one_step[:, 0], np.float64) - f.actual[:, 0])
        steps = np.arange(1, err_r.size + 1)
        if np.isfinite(err_r).any():
            ax.plot(steps, err_r, "-", color=c, lw=1.8, label=f"{label}: recursive")
            drew = True
        ax.plot(steps, err_1, ":", color=c, lw=1, label=f"{label}: one-step")
    if not drew:
        plt.close(fig)
        return None
    ax.set_yscale("log")
    ax.set_xlabel("steps since the forecast started (end of training part)")
    ax.set_ylabel("absolute error (data units, log scale)")
    ax.set_title("Forecast error against horizon")
    ax.grid(alpha=0.2, which="both")
    ax.legend(**_LEGEND)
    return _save(plt, fig, path)


# ---------------------------------------------------------------------------- screenshots
def _screenshot(lesson: Any, args: argparse.Namespace) -> int:
    """Open the lesson window, train, save a picture, exit (needs a display)."""
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:  # pragma: no cover - PySide6 is a dependency
        raise RnnvizError("no_qt", f"The window needs PySide6 ({exc}).") from None
    from rnnviz.gui.panels.lesson_panel import take_screenshot

    app = QApplication.instance() or QApplication(sys.argv[:1])
    path = take_screenshot(app, lesson, Path(args.screenshot),
                           compare_path=Path(args.compare_screenshot) if args.compare_screenshot else None,
                           threads=args.threads)
    print(f"Saved {path}")
    return 0
