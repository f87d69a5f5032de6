"""GUI test set-up: Qt warnings fail the test unless they are known and harmless.

An autouse fixture installs a Qt message handler for every GUI test. Warnings, critical and
fatal messages are collected (and passed on to the handler that was there before, e.g.
pytest-qt's); at the end of the test any message not in :data:`ALLOWED_QT_MESSAGES` fails it.
"""

from __future__ import annotations

import pytest

ALLOWED_QT_MESSAGES: tuple[str, ...] = (
    # the offscreen platform plugin cannot tell a window manager about size hints
    "This plugin does not support propagateSizeHints()",
    # offscreen platform: no window system to raise a window or give it focus
    "This plugin does not support raise()",
    "This plugin does not support grabbing the keyboard",
)
"""Substrings of Qt messages known to be harmless in tests (platform-plugin notices)."""


class QtMessageGuard:
    """Collects unexpected Qt warnings during one test."""

    def __init__(self) -> None:
        self.unexpected: list[str] = []
        self.seen: list[str] = []

    def handle(self, mode, message: str) -> None:
        from PySide6.QtCore import QtMsgType

        self.seen.append(message)
        if mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            if not any(allowed in message for allowed in ALLOWED_QT_MESSAGES):
                self.unexpected.append(f"{mode.name}: {message}")


@pytest.fixture(autouse=True)
def qt_message_guard():
    """Fail the test on any Qt warning that is not in ALLOWED_QT_MESSAGES."""
    from PySide6.QtCore import qInstallMessageHandler

    guard = QtMessageGuard()
    previous = None

    def handler(mode, context, message):  # called by Qt on the thread that logs
        guard.handle(mode, message)
        if previous is not None:
            previous(mode, context, message)

    previous = qInstallMessageHandler(handler)
    try:
        yield guard
    finally:
        qInstallMessageHandler(previous)
    if guard.unexpected:
        pytest.fail("Qt warnings during the test:\n" + "\n".join(guard.unexpected))


@pytest.fixture
def data_panel(qtbot):
    """A shown Data panel at the width of the window's left dock."""
    from rnnviz.gui.panels import DataPanel

    p = DataPanel()
    qtbot.addWidget(p)
    p.resize(420, 700)
    p.show()
    qtbot.waitExposed(p)
    return p
