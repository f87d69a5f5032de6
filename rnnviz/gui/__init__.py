"""The rnnviz window: PySide6 + pyqtgraph views, panels and the training session.

Imports :mod:`rnnviz.core`, never the reverse. Views (``rnnviz.gui.views``) only draw
arrays held by a :class:`~rnnviz.core.history.RunHistory`; the session runs the training
generator in a worker thread.
"""
