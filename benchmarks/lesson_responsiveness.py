"""How long does the lesson window stall while its models train?

Opens a lesson window as *File ▸ Open Lesson* does (1500×920), lets it idle as a user reading
the lesson would, presses Train and, until the run ends, measures the lateness of a 10 ms
QTimer on the GUI thread: the longest stall (and where in the run it fell), the p99, and the
time each redraw of the compare view took. Also prints how long opening the window took
(building and laying out its plots, which is where the work of the first frames moved).

Run::

    .venv/bin/python benchmarks/lesson_responsiveness.py                  # offscreen
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/lesson_responsiveness.py

Options: ``--lesson NAME`` (default ``inside_lstm``), ``--epochs N`` and ``--batches N``
(budget: default 3 epochs of at most 40 batches, on the lesson's quick data), ``--full-data``
(the lesson's own data set), ``--repeat N`` (runs, each in a new window; default 3),
``--teacher off`` (show the advanced views too).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402


def make_lesson(name: str, epochs: int, batches: int, full_data: bool):
    """The lesson with a small budget (quick data unless ``full_data``)."""
    from rnnviz.core.lessons import load_lesson, parse_lesson

    lesson = load_lesson(name)
    raw = (lesson if full_data else lesson.quick_version()).to_dict()
    raw["train"].update(epochs=epochs, max_batches_per_epoch=batches)
    raw.pop("quick", None)
    return parse_lesson(raw)


def one_run(app, lesson, teacher: bool) -> dict[str, object]:
    """Open a window, train the lesson once, return the figures."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from rnnviz.gui.panels.lesson_panel import LessonWindow

    t_open = time.perf_counter()
    win = LessonWindow(lesson)
    win.panel.teacher_check.setChecked(teacher)
    win.resize(1500, 920)
    win.show()
    app.processEvents()
    open_s = time.perf_counter() - t_open
    idle = QEventLoop()  # the user reads the lesson: deferred work of the opening ends here
    QTimer.singleShot(1500, idle.quit)
    idle.exec()

    view = win.compare_view
    renders: list[tuple[float, float]] = []  # (seconds since start, ms)
    real_render = view.render

    def timed_render(*args, **kwargs):
        t = time.perf_counter()
        out = real_render(*args, **kwargs)
        renders.append((t - t0, (time.perf_counter() - t) * 1e3))
        return out

    view.render = timed_render  # type: ignore[method-assign]
    # (seconds since start, ms late, ms of the GUI thread's CPU time in that gap): a stall
    # with little CPU time is the thread waiting for a core (other processes), not its work
    lateness: list[tuple[float, float, float]] = []
    clock = QElapsedTimer()
    last = [0, 0.0]
    ticker = QTimer()
    ticker.setInterval(10)

    def tick() -> None:
        now = clock.nsecsElapsed()
        cpu = time.thread_time()
        if last[0]:
            lateness.append((time.perf_counter() - t0, (now - last[0]) / 1e6 - 10.0,
                             (cpu - last[1]) * 1e3))
        last[0], last[1] = now, cpu

    ticker.timeout.connect(tick)
    loop = QEventLoop()
    win.training_finished.connect(loop.quit)
    QTimer.singleShot(600_000, loop.quit)
    clock.start()
    ticker.start()
    t0 = time.perf_counter()
    win.start()
    loop.exec()
    ticker.stop()
    seconds = time.perf_counter() - t0
    batches = sum(h.n_batches for h in win.session.histories.values())
    win.close()
    win.deleteLater()
    app.processEvents()
    lat = np.asarray([ms for _, ms, _ in lateness])
    busy = np.asarray([cpu - 10.0 for _, _, cpu in lateness])  # CPU beyond the 10 ms period
    worst = sorted(lateness, key=lambda x: -x[1])[:3]
    rms = sorted(renders, key=lambda x: -x[1])[:3]
    return {"open_s": open_s, "seconds": seconds, "batches": batches,
            "max": float(lat.max()) if lat.size else float("nan"),
            "busy_max": float(busy.max()) if busy.size else float("nan"),
            "p99": float(np.percentile(lat, 99)) if lat.size else float("nan"),
            "median": float(np.median(lat)) if lat.size else float("nan"),
            "worst": worst, "render_worst": rms, "redraws": len(renders)}


def main(argv: list[str] | None = None) -> int:
    """Measure and print; returns 0."""
    parser = argparse.ArgumentParser(prog="benchmarks/lesson_responsiveness.py")
    parser.add_argument("--lesson", default="inside_lstm")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--full-data", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--teacher", choices=("on", "off"), default="on")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from rnnviz.gui.app import make_application, quiet_harmless_qt_messages

    quiet_harmless_qt_messages()  # the offscreen plugin's size-hint notices
    app = make_application()
    lesson = make_lesson(args.lesson, args.epochs, args.batches, args.full_data)
    print(f"lesson {args.lesson}: {', '.join(lesson.labels)}; {args.epochs} epochs of at most "
          f"{args.batches} batches; teacher mode {args.teacher}; "
          f"platform {app.platformName()}")
    maxima, busy = [], []
    for i in range(args.repeat):
        r = one_run(app, lesson, args.teacher == "on")
        maxima.append(r["max"])
        busy.append(r["busy_max"])
        worst = ", ".join(f"{ms:.0f} ms at {t:.2f} s ({cpu:.0f} ms CPU)"
                          for t, ms, cpu in r["worst"])
        rw = ", ".join(f"{ms:.0f} ms at {t:.2f} s" for t, ms in r["render_worst"])
        print(f"run {i + 1}: opening {r['open_s']:.2f} s; run {r['seconds']:.1f} s, "
              f"{r['batches']} batches, {r['redraws']} redraws")
        print(f"  10 ms timer lateness: median {r['median']:.2f} ms, p99 {r['p99']:.1f} ms, "
              f"max {r['max']:.0f} ms; longest stretch of GUI-thread work "
              f"{r['busy_max']:.0f} ms CPU")
        print(f"  worst stalls: {worst}")
        print(f"  slowest redraws of the compare view: {rw}")
    print(f"worst stall per run: {', '.join(f'{m:.0f}' for m in maxima)} ms "
          f"(median {float(np.median(maxima)):.0f} ms); its longest CPU stretch: "
          f"{', '.join(f'{m:.0f}' for m in busy)} ms")
    if hasattr(os, "getloadavg"):
        print(f"load average now: {os.getloadavg()[0]:.1f} (other processes share the cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
