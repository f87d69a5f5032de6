"""Run the classroom lessons with their default budgets and print what they achieve.

The numbers quoted in the lesson texts (resources/lessons/*.json) and docs/lessons.md come
from this script. It also checks the issue's targets:

- adding problem, T = 50, 64 hidden units, default budget: GRU and LSTM test MSE <= 0.05,
  RNN >= 0.1 (predicting the mean scores about 0.167);
- vanishing gradients over 50 steps, after training: the RNN's ratio ||dL/dh_1|| / ||dL/dh_T||
  below 1e-4, LSTM's and GRU's above 1e-2, checked on the adding problem (T = 50), whose
  dependency reaches back to the first half of the sequence. (The lag task of lesson 1 only
  needs the last lag + 1 steps; its ratios are printed for information.)

Usage::

    python benchmarks/lesson_results.py                    # every lesson (about 10 min on 2 cores)
    python benchmarks/lesson_results.py adding_problem     # some lessons
    python benchmarks/lesson_results.py --lags 5,10,15,20  # also sweep the lag of lesson 1
    python benchmarks/lesson_results.py --out results/     # also write each lesson's figures

Times are wall-clock and CPU seconds of this process; the machine's load average is printed
because other work on a shared machine slows the wall clock down.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from rnnviz.core.compare import mean_baseline
from rnnviz.core.lessons import list_lessons, load_lesson, make_comparison


def run_lesson(lesson, out: Path | None = None) -> dict:
    """Train one lesson; return its figures as a dict (and write figures when ``out``)."""
    wall, cpu = time.perf_counter(), time.process_time()
    cmp = make_comparison(lesson)
    for _ in cmp.events():
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    shared = cmp.data if all(r.data is None for r in cmp.runs) else None
    if out is not None:
        from rnnviz.commands.lesson import write_figures

        folder = out / lesson.name
        folder.mkdir(parents=True, exist_ok=True)
        write_figures(cmp, lesson, folder)
    models = {}
    for lab in cmp.labels:
        r = cmp.results[lab]
        g = cmp.histories[lab].batch_arrays()["grad_norm"]
        models[lab] = {
            "max_grad_norm": float(g.max()) if g.size else math.nan,
            "median_grad_norm": float(np.median(g)) if g.size else math.nan,
            "test_mse": r.test_mse,
            "test_metrics": r.test_metrics,
            "final_train_loss": r.final_train_loss,
            "final_val_loss": r.final_val_loss,
            "gradient_ratio_start": r.gradient_ratio_start,
            "gradient_ratio": r.gradient_ratio,
            "seconds_per_epoch": r.seconds_per_epoch,
            "epochs_run": r.epochs_run,
            "steps": r.steps,
            "finish_reason": r.finish_reason,
            "checks": r.checks,
        }
    return {
        "lesson": lesson.name,
        "values": lesson.values,
        "mean_baseline_test_mse": mean_baseline(shared) if shared is not None else math.nan,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "models": models,
    }


def print_result(res: dict) -> None:
    print(f"\n== {res['lesson']} {res['values']}  wall {res['wall_seconds']:.0f} s, "
          f"CPU {res['cpu_seconds']:.0f} s")
    if math.isfinite(res["mean_baseline_test_mse"]):
        print(f"   predicting the mean: test MSE {res['mean_baseline_test_mse']:.4f}")
    print(f"   {'model':22s} {'test MSE':>10s} {'train':>9s} {'val':>9s} {'ratio before':>13s} "
          f"{'ratio after':>12s} {'s/epoch':>8s} {'epochs':>6s}")
    for lab, m in res["models"].items():
        print(f"   {lab:22s} {m['test_mse']:10.4g} {m['final_train_loss']:9.4g} "
              f"{m['final_val_loss']:9.4g} {m['gradient_ratio_start']:13.3g} "
              f"{m['gradient_ratio']:12.3g} {m['seconds_per_epoch']:8.2f} {m['epochs_run']:6d}"
              + ("" if m["finish_reason"] == "completed" else f"  [{m['finish_reason']}]"))
        print(f"   {'':22s} gradient norm per batch (before clipping): median "
              f"{m['median_grad_norm']:.3g}, max {m['max_grad_norm']:.3g}")
        units = m["test_metrics"].get("one_step") or {}
        if units:
            rec = m["test_metrics"].get("recursive") or {}
            base = {k: v.get("mae") for k, v in m["test_metrics"].items()
                    if k not in ("one_step", "recursive", "direct") and isinstance(v, dict)}
            direct = m["test_metrics"].get("direct") or {}
            extra = f", direct (whole horizon) {direct['mae']:.4g}" if "mae" in direct else ""
            print(f"   {'':22s} test MAE one-step {units.get('mae', math.nan):.4g}, recursive "
                  f"{rec.get('mae', math.nan):.4g}{extra}; baselines "
                  + ", ".join(f"{k} {v:.4g}" for k, v in base.items() if v is not None))
        for c in m["checks"]:
            print(f"   {'':22s} {c['label']}: model {[round(v, 2) for v in c['predicted']]}, "
                  f"slides {c.get('slides_model')}")


def check(res: dict) -> list[tuple[str, bool]]:
    """The issue's targets that apply to this lesson, as (statement, passed)."""
    m = res["models"]
    out: list[tuple[str, bool]] = []
    name = res["lesson"]
    if name == "adding_problem" and res["values"].get("length") == 50:
        out.append((f"adding T=50: LSTM test MSE {m['LSTM']['test_mse']:.4f} <= 0.05",
                    m["LSTM"]["test_mse"] <= 0.05))
        out.append((f"adding T=50: GRU test MSE {m['GRU']['test_mse']:.4f} <= 0.05",
                    m["GRU"]["test_mse"] <= 0.05))
        out.append((f"adding T=50: RNN test MSE {m['RNN']['test_mse']:.4f} >= 0.1",
                    m["RNN"]["test_mse"] >= 0.1))
    if name == "adding_problem" and res["values"].get("length") == 50:
        out.append((f"{name}, 50 steps: RNN gradient ratio {m['RNN']['gradient_ratio']:.2e} < 1e-4",
                    m["RNN"]["gradient_ratio"] < 1e-4))
        for lab in ("LSTM", "GRU"):
            r = m[lab]["gradient_ratio"]
            out.append((f"{name}, 50 steps: {lab} gradient ratio {r:.2e} > 1e-2", r > 1e-2))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson names (default: all)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--lags", default="", help="also run lesson 1 with these lags, e.g. 5,10,20")
    parser.add_argument("--out", type=Path, help="write each lesson's figures here")
    parser.add_argument("--json", type=Path, help="write all results to this JSON file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    names = args.lessons or [lesson.name for lesson in list_lessons()]
    print(f"torch {torch.__version__}, {args.threads} thread(s), {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f}")
    results, checks = [], []
    todo = [load_lesson(n) for n in names]
    for lag in [int(x) for x in args.lags.split(",") if x.strip()]:
        todo.append(load_lesson("why_rnns_forget").with_values({"lag": lag}))
    for lesson in todo:
        res = run_lesson(lesson, args.out)
        print_result(res)
        results.append(res)
        checks += check(res)
        sys.stdout.flush()
    if checks:
        print("\n== targets of the issue")
        for text, ok in checks:
            print(f"   {'PASS' if ok else 'FAIL'}  {text}")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
