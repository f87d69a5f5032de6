"""``rnnviz inspect FILE [--json]``: read a CSV file and say what was understood.

Prints the dialect (delimiter, decimal and thousands marks, encoding, header line), the rows,
a table of the columns (kind, values, missing, min, max, mean), the time axis (first and
last time, median step, gaps, duplicates) and every warning. With ``--json`` it prints the
same as one JSON object (``ok, rows, dialect, columns, time, warnings, error``). Exit status
0 when the file is usable, 2 when it is not (with ``--json`` the error is in the object).
Line numbers are 1-based, as editors number lines, in the text and in the JSON alike
(``"header_line": 1`` is the file's first line).
Only pandas and pyarrow are imported: no torch, no Qt.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add this command's arguments."""
    parser.add_argument("file", metavar="FILE", help="the CSV file to read")
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the readable report"
    )


def run(args: argparse.Namespace) -> int:
    """Inspect the file; return 0 when it is usable, 2 when it is not."""
    from rnnviz.core.csvload import inspect_csv
    from rnnviz.core.loadreport import render_text

    report = inspect_csv(args.file)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        text = render_text(report)
        if report.ok:
            print(text)
        else:
            print(text, file=sys.stderr)
    return 0 if report.ok else 2
