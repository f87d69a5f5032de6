"""The Qt-free core of rnnviz: data, models, probes, training, forecasting.

Nothing in this package may import Qt or pyqtgraph (``tests/core/test_no_qt.py`` checks).
"""
