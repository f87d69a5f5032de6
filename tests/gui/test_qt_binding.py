"""Catch a Qt binding release that crashes the interpreter under signal load.

PySide6 6.12.0 on CPython 3.11 aborts after a few thousand cross-thread emits
(``Fatal Python error: none_dealloc``). The test runs in a child process so a crash fails
this test with the child's message instead of killing the whole test run.
"""

from __future__ import annotations

import os
import subprocess
import sys

CHILD = r"""
import os
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

N = 100_000

class Emitter(QObject):
    value = Signal(object)
    done = Signal()

    @Slot()
    def run(self):
        for i in range(N):
            self.value.emit((i, None, True))
        self.done.emit()

class Sink(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0
        self.total = 0

    @Slot(object)
    def take(self, v):
        self.count += 1
        self.total += v[0]

app = QCoreApplication([])
thread = QThread()
emitter = Emitter()
emitter.moveToThread(thread)
sink = Sink()
emitter.value.connect(sink.take)
emitter.done.connect(app.quit)
thread.started.connect(emitter.run)
thread.start()
app.exec()
# drain queued events still pending
while sink.count < N:
    app.processEvents()
thread.quit()
thread.wait()
print(sink.count, sink.total)
"""


def test_100k_cross_thread_signals_do_not_crash_the_interpreter():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=240
    )
    assert out.returncode == 0, f"child crashed ({out.returncode}): {out.stderr[-2000:]}"
    count, total = map(int, out.stdout.split())
    assert count == 100_000
    assert total == sum(range(100_000))
