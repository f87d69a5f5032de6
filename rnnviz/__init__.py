"""rnnviz: see inside recurrent neural networks while they learn."""

__version__ = "0.1.0"
