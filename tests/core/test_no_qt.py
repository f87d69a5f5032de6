"""The core must never import Qt: it runs headless, in workers and on servers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import rnnviz.core

CORE = Path(rnnviz.core.__file__).parent
QT_PREFIXES = ("PySide6", "PyQt5", "PyQt6", "PySide2", "pyqtgraph", "shiboken6", "superqt", "qtpy")


def test_importing_every_core_module_loads_no_qt():
    modules = sorted(
        "rnnviz.core." + p.stem for p in CORE.glob("*.py") if p.stem != "__init__"
    )
    assert "rnnviz.core.config" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {QT_PREFIXES!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"rnnviz.core imported Qt modules: {out.stdout.strip()}"


def test_core_sources_do_not_name_qt():
    for path in CORE.glob("*.py"):
        text = path.read_text()
        for prefix in QT_PREFIXES:
            assert f"import {prefix}" not in text and f"from {prefix}" not in text, (
                f"{path.name} imports {prefix}"
            )
