"""The Keras slides' toy shapes (shared/seeds/002) learned by the engine.

The slides trained ``LSTM(50, activation="relu")`` on the raw values for 1000 epochs. The
checks ask for values outside the training range (the many-to-one training sums stop at 105,
the check is 153; the many-to-many training inputs stop at 240, the check starts at 300), so
the network must extrapolate linearly. Saturating cells (tanh LSTM/GRU) cannot: with scaled
values a tanh LSTM predicted 121 instead of 153. PyTorch's fused LSTM has no relu option, so
these tests use the closest fused network that extrapolates linearly: a plain RNN with relu
and 50 hidden units, on the raw values like the slides, Adam, batches of 3, 300 epochs.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.core import tasks
from rnnviz.core.config import ModelConfig, RunConfig, TrainConfig
from rnnviz.core.events import Finished
from rnnviz.core.forecast import predict_windows
from rnnviz.core.training import make_model, train

RUN = RunConfig(
    model=ModelConfig(cell="rnn", nonlinearity="relu", hidden=50),
    train=TrainConfig(epochs=300, lr=0.005, batch_size=3, seed=0, probe_every_seconds=None),
)


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [("many_to_one", 1.5), ("one_to_many", 0.5), ("many_to_many", 3.0)],
)
def test_toy_shape_reaches_the_slide_result(name, tolerance):
    data = getattr(tasks, f"toy_{name}")()
    model = make_model(data, RUN)
    events = list(train(data, RUN, model=model))
    assert isinstance(events[-1], Finished) and events[-1].reason == "completed"
    x, expected = tasks.TOY_CHECKS[name]
    got = predict_windows(model, np.asarray(x, dtype=np.float32))
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= tolerance, (got.ravel(), expected.ravel())
