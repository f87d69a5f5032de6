"""How responsive is the window while it trains flat out?

Prints, in one run on this machine:

1. start-up: seconds from launching ``python -m rnnviz gui`` (a new process) to a visible
   window, and to "ready to train" (default dataset loaded and shown), and the longest stall
   of its event loop in the first 6 s (building the views, reading the data, background
   imports, starting the training process);
2. while the real window trains with its views open (default settings on the default
   dataset): the lateness of a 10 ms QTimer on the GUI thread (median, p99, max), the number
   of redraws per second, and the time one redraw takes;
3. training throughput (batches per second of epoch time, from the engine's
   ``EpochDone.seconds``) in the window against headless ``train()`` on the same data and
   settings in the same process.

The window trains in a separate process by default (``rnnviz.core.trainproc``); pass
``--in-thread`` to measure training on a thread of the GUI process instead (the GIL is then
shared between drawing and training).

Goals (issue 5): p99 lateness <= 50 ms, redraws >= 10 Hz, throughput >= 0.85x headless.

Run::

    .venv/bin/python benchmarks/gui_responsiveness.py            # offscreen unless DISPLAY is set
    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/gui_responsiveness.py

Options: ``--epochs N`` (default: the window's default, 20), ``--skip-startup``,
``--repeat-startup N`` (default 3), ``--in-thread``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402

GOALS = {"p99_ms": 50.0, "redraw_hz": 10.0, "throughput_ratio": 0.85}


def measure_startup(repeat: int) -> list[tuple[float, float, float]]:
    """Launch the app ``repeat`` times; return (seconds to visible, seconds to ready,
    milliseconds of the longest stall in the first seconds)."""
    out = []
    for _ in range(repeat):
        env = dict(os.environ, RNNVIZ_STARTUP_MARKER="1",
                   RNNVIZ_SETTINGS_DIR=tempfile.mkdtemp(prefix="rnnviz-bench-"))
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "rnnviz", "gui"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=env)
        visible = ready = stall = float("nan")
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if "window visible" in line:
                    visible = time.perf_counter() - t0
                elif "ready to train" in line:
                    ready = time.perf_counter() - t0
                elif "longest stall" in line:
                    stall = float(line.rsplit(":", 1)[1].split()[0])
                    break
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.append((visible, ready, stall))
    return out


def epoch_rate(epochs) -> float:
    """Batches per second of epoch time (the engine's own ``EpochDone.seconds``: batches,
    probes and validation), the same measure in the window and headless."""
    steps = epochs[-1].step if epochs else 0
    seconds = sum(e.seconds for e in epochs)
    return steps / seconds if seconds > 0 else float("nan")


def headless(splits, run) -> float:
    from rnnviz.core.events import EpochDone
    from rnnviz.core.training import train

    return epoch_rate([ev for ev in train(splits, run) if isinstance(ev, EpochDone)])


def in_window(epochs: int | None) -> dict[str, float]:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    from rnnviz.gui.app import make_application, quiet_harmless_qt_messages
    from rnnviz.gui.main_window import MainWindow
    from rnnviz.gui.settings import AppSettings

    os.environ.setdefault("RNNVIZ_SETTINGS_DIR", tempfile.mkdtemp(prefix="rnnviz-bench-"))
    quiet_harmless_qt_messages()  # the offscreen plugin's size-hint notices
    app = make_application()
    w = MainWindow(AppSettings(), restore=False)
    w.remember_settings = False
    w.resize(1600, 1000)
    w.show()
    app.processEvents()
    loop = QEventLoop()
    w.data_ready.connect(loop.quit)
    QTimer.singleShot(0, w.open_default_sample)
    loop.exec()
    w.data_ready.disconnect(loop.quit)
    if epochs is not None:
        w.model_panel.set_value("epochs", epochs)
    run = w.model_panel.run_config(w.data_config)
    splits = w.splits

    # headless first, same process, same settings (threads=1 as the window uses)
    rate_headless = headless(splits, run)
    # the window starts its training process when the data are ready; a user looks at the
    # data for longer than it takes to start
    session = w.session
    session.prepare()
    if session.in_process:
        session._training_process().wait_ready(60)
    # then let the window paint what loading the data changed, as it does long before a
    # user presses Start (otherwise those paints would land in the measured run)
    idle = QEventLoop()
    QTimer.singleShot(500, idle.quit)
    idle.exec()

    session = w.session
    session.frames.clear()
    session.frame_walls.clear()
    # when batches reach the window (the GUI thread drains the mailbox at each frame)
    batch_times: list[float] = []
    seen = [0]

    def note_batches() -> None:
        n = session.history.n_batches
        if n > seen[0]:
            seen[0] = n
            batch_times.append(time.perf_counter())

    session.redrawn.connect(note_batches)

    lateness: list[float] = []
    clock = QElapsedTimer()
    last = [0]
    ticker = QTimer()
    ticker.setInterval(10)

    late_at: list[float] = []
    cpu_at: list[float] = []  # the GUI thread's CPU seconds at each tick

    def tick():
        now = clock.nsecsElapsed()
        if last[0]:
            lateness.append((now - last[0]) / 1e6 - 10.0)
            late_at.append(time.perf_counter())
            cpu_at.append(time.thread_time())
        last[0] = now

    ticker.timeout.connect(tick)
    loop = QEventLoop()
    session.run_finished.connect(loop.quit)
    started_at = []
    session.run_started.connect(lambda s: started_at.append(time.perf_counter()))
    w.start_training()
    clock.start()
    ticker.start()
    t0 = time.perf_counter()
    loop.exec()  # the real event loop runs until the run ends
    ticker.stop()
    t_end = time.perf_counter()
    # redraws are counted while batches arrive (first to last batch): between epochs the
    # engine validates and forecasts, sends nothing, and there is nothing new to draw
    t_first = batch_times[0] if batch_times else t0
    t_last = batch_times[-1] if batch_times else t_end
    frames = [(t, ms, n, wall) for (t, ms, n), wall in zip(session.frames, session.frame_walls,
                                                            strict=False)
              if t_first <= t <= t_last]
    n_redraws = len(frames)
    redraw_ms = [ms for _, ms, _, _ in frames]
    redraw_wall = [wall for *_, wall in frames]
    # the GUI thread's CPU time (the time it holds Python's GIL) while batches arrive
    inside = [i for i, t in enumerate(late_at) if t_first <= t <= t_last]
    gui_share = ((cpu_at[inside[-1]] - cpu_at[inside[0]]) / (late_at[inside[-1]] - late_at[inside[0]])
                 if len(inside) > 1 else float("nan"))
    views_per_frame = float(np.mean([n for _, _, n, _ in frames])) if frames else float("nan")
    lat = np.asarray(lateness)
    order = np.argsort(lat)[::-1][:5]
    worst = [(float(lat[i]), late_at[i] - t_first) for i in order]
    in_training = np.asarray([t_first <= t <= t_last for t in late_at])
    lat_train = lat[in_training] if in_training.any() else lat
    gui_rate = epoch_rate(list(session.history.epochs))
    n_batches = session.history.n_batches
    mode = "a separate process" if session.in_process else "a thread of the GUI process"
    w.close()
    return {
        "headless_rate": rate_headless,
        "gui_rate": gui_rate,
        "batches": float(n_batches),
        "mode": mode,
        "lat_median": float(np.median(lat)) if lat.size else float("nan"),
        "lat_p99": float(np.percentile(lat, 99)) if lat.size else float("nan"),
        "lat_max": float(lat.max()) if lat.size else float("nan"),
        "redraw_hz": n_redraws / max(t_last - t_first, 1e-9),
        "redraw_ms_median": float(np.median(redraw_ms)) if redraw_ms else float("nan"),
        "redraw_ms_p99": float(np.percentile(redraw_ms, 99)) if redraw_ms else float("nan"),
        "redraw_wall_median": float(np.median(redraw_wall)) if redraw_wall else float("nan"),
        "gui_share": gui_share,
        "views_per_frame": views_per_frame,
        "seconds": t_end - t_first,
        "worst": worst,
        "lat_train_p99": float(np.percentile(lat_train, 99)) if lat_train.size else float("nan"),
        "setup_seconds": (started_at[0] - t0) if started_at else float("nan"),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs of the measured run (default: the window's default, 20)")
    p.add_argument("--skip-startup", action="store_true")
    p.add_argument("--repeat-startup", type=int, default=3)
    p.add_argument("--in-thread", action="store_true",
                   help="train on a thread of the GUI process (RNNVIZ_TRAIN_IN_THREAD=1)")
    args = p.parse_args()
    if args.in_thread:
        os.environ["RNNVIZ_TRAIN_IN_THREAD"] = "1"
    platform = os.environ.get("QT_QPA_PLATFORM") or f"xcb (DISPLAY={os.environ.get('DISPLAY')})"
    print(f"rnnviz GUI responsiveness — Qt platform: {platform}, cores: {os.cpu_count()}")
    if not args.skip_startup:
        runs = measure_startup(args.repeat_startup)
        vis = [v for v, _, _ in runs]
        rdy = [r for _, r, _ in runs]
        stalls = [s for _, _, s in runs]
        print(f"start-up (new process, {len(runs)} runs): visible window "
              f"median {np.median(vis):.2f} s (min {min(vis):.2f}), ready to train "
              f"median {np.median(rdy):.2f} s (min {min(rdy):.2f}); longest stall of the "
              f"window in its first 6 s: median {np.median(stalls):.0f} ms "
              f"(max {max(stalls):.0f})")
    r = in_window(args.epochs)
    ratio = r["gui_rate"] / r["headless_rate"]
    print(f"training in the window: {int(r['batches'])} batches in {r['seconds']:.1f} s "
          f"(default LSTM 32 units, lookback 48, batch 64, 1 torch thread, default dataset), "
          f"trained in {r['mode']}")
    print(f"10 ms timer lateness: median {r['lat_median']:.2f} ms, p99 {r['lat_p99']:.2f} ms, "
          f"max {r['lat_max']:.2f} ms   (goal p99 <= {GOALS['p99_ms']:.0f} ms)")
    print(f"  while batches arrive only: p99 {r['lat_train_p99']:.2f} ms; the 5 longest stalls "
          "(ms, seconds after the first batch; negative = while the engine set up): "
          + ", ".join(f"{ms:.0f} @ {t:+.1f}s" for ms, t in r["worst"]))
    print(f"redraws: {r['redraw_hz']:.1f} frames per second (goal >= {GOALS['redraw_hz']:.0f}), "
          f"{r['views_per_frame']:.1f} views redrawn and painted per frame; one frame: median "
          f"{r['redraw_ms_median']:.1f} ms of GUI-thread CPU (p99 {r['redraw_ms_p99']:.1f} ms), "
          f"{r['redraw_wall_median']:.1f} ms wall")
    print(f"GUI thread busy {100 * r['gui_share']:.0f}% of the time while batches arrive "
          "(with training on a thread of the GUI process, training loses about as much)")
    print(f"throughput: window {r['gui_rate']:.1f} batches/s, headless {r['headless_rate']:.1f} "
          f"batches/s, ratio {ratio:.2f} (goal >= {GOALS['throughput_ratio']})")
    ok = (r["lat_p99"] <= GOALS["p99_ms"] and r["redraw_hz"] >= GOALS["redraw_hz"]
          and ratio >= GOALS["throughput_ratio"])
    print("all goals met" if ok else "some goals NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
