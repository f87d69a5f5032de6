"""Time ``load_csv`` against plain ``pandas.read_csv(engine="pyarrow")`` on a 1M-row CSV.

Run: ``.venv/bin/python benchmarks/csv_load.py [--rows 1000000] [--repeats 5]``

Writes a CSV with an ISO timestamp column and three numeric columns to a temporary folder,
then, in the same run and alternating, times both readers (median of the repeats) and
measures each one's peak memory in a fresh subprocess (``VmHWM`` after the read, minus the
baseline after imports; Linux). Prints the figures and the time ratio (goal: at most 1.5x).
Also times two harder variants (semicolon + decimal comma; day-first dates) for reference.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnviz.core.csvload import load_csv  # noqa: E402


def write_csv(path: Path, rows: int, *, variant: str = "plain", seed: int = 0) -> None:
    """Write ``rows`` rows: time, temperature, humidity, pressure."""
    rng = np.random.default_rng(seed)
    t = pd.date_range("2015-01-01", periods=rows, freq="min")
    cols = {
        "temperature": np.round(
            10 + 8 * np.sin(np.arange(rows) / 1440 * 2 * np.pi) + rng.normal(0, 0.5, rows), 2
        ),
        "humidity": np.round(rng.uniform(20, 90, rows), 1),
        "pressure": np.round(1013 + rng.normal(0, 5, rows), 2),
    }
    if variant == "plain":
        df = pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M:%S"), **cols})
        df.to_csv(path, index=False)
    elif variant == "decimal_comma":
        df = pd.DataFrame({"time": t.strftime("%Y-%m-%d %H:%M:%S"), **cols})
        df.to_csv(path, index=False, sep=";", decimal=",")
    elif variant == "dayfirst":
        df = pd.DataFrame({"time": t.strftime("%d/%m/%Y %H:%M"), **cols})
        df.to_csv(path, index=False)
    else:  # pragma: no cover
        raise ValueError(variant)


def _time(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


_MEM = r"""
import sys
sys.path.insert(0, {root!r})
import pandas as pd, pyarrow, pyarrow.csv, numpy
from rnnviz.core.csvload import load_csv

def hwm():  # peak resident memory of this process, MiB (fresh after exec, unlike ru_maxrss)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
base = hwm()
if {which!r} == "rnnviz":
    t = load_csv({path!r})
else:
    f = pd.read_csv({path!r}, engine="pyarrow")
print(base, hwm())
"""


def peak_memory(path: Path, which: str) -> tuple[float, float]:
    """(baseline MiB after imports, peak MiB after the read) in a fresh interpreter."""
    code = _MEM.format(root=str(ROOT), path=str(path), which=which)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    base, peak = (float(x) for x in out)
    return base, peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        t0 = time.perf_counter()
        write_csv(path, args.rows)
        print(
            f"wrote {args.rows:,} rows ({path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s"
        )
        # warm up both (page cache, imports, pyarrow thread pool)
        load_csv(path)
        pd.read_csv(path, engine="pyarrow")
        ours: list[float] = []
        plain: list[float] = []
        for _ in range(args.repeats):  # alternate so both see the same machine state
            ours += _time(lambda: load_csv(path), 1)
            plain += _time(lambda: pd.read_csv(path, engine="pyarrow"), 1)
        m_ours, m_plain = statistics.median(ours), statistics.median(plain)
        print(
            f"load_csv                         median {m_ours * 1000:7.1f} ms  (runs: {', '.join(f'{x * 1000:.0f}' for x in ours)})"
        )
        print(
            f"pandas.read_csv(engine=pyarrow)  median {m_plain * 1000:7.1f} ms  (runs: {', '.join(f'{x * 1000:.0f}' for x in plain)})"
        )
        print(f"ratio load_csv / pandas-pyarrow: {m_ours / m_plain:.2f}x  (goal <= 1.5x)")
        b1, p1 = peak_memory(path, "rnnviz")
        b2, p2 = peak_memory(path, "pandas")
        print(f"peak RSS load_csv: {p1:.0f} MiB (+{p1 - b1:.0f} MiB over {b1:.0f} after imports)")
        print(f"peak RSS pandas:   {p2:.0f} MiB (+{p2 - b2:.0f} MiB over {b2:.0f} after imports)")
        table = load_csv(path)
        print(
            f"check: {len(table.frame):,} rows, time column {table.time_column!r}, numeric {table.numeric_columns}"
        )
        for variant in ("decimal_comma", "dayfirst"):
            p = Path(tmp) / f"{variant}.csv"
            write_csv(p, args.rows, variant=variant)
            load_csv(p)
            runs = _time(lambda p=p: load_csv(p), 3)
            print(
                f"load_csv on the {variant} variant: median {statistics.median(runs) * 1000:.0f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
