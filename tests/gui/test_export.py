"""Pictures and tables written by rnnviz.gui.export: right format, exact numbers, clear errors."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel

from rnnviz.core.errors import RnnvizError
from rnnviz.gui.export import ExportError, save_image, write_csv
from rnnviz.gui.views.loss_view import LossView


def test_write_csv_round_trips_floats_exactly_and_pads_short_columns(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(size=7).astype(np.float32)
    b = rng.normal(size=4)  # float64, shorter
    steps = np.arange(1, 8, dtype=np.int64)
    path = write_csv(tmp_path / "t.csv", {"step": steps, "a": a, "b": b,
                                          "name": np.array(["x", "y"], dtype=object)})
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["step", "a", "b", "name"]
    assert len(rows) == 1 + 7
    assert rows[5] == [str(5), repr(float(a[4])), "", ""]  # padding is empty cells
    df = pd.read_csv(path)
    np.testing.assert_array_equal(df["step"], steps)
    np.testing.assert_array_equal(df["a"].to_numpy(np.float32), a)  # bit-exact
    np.testing.assert_array_equal(df["b"].dropna().to_numpy(), b)
    assert list(df["name"].dropna()) == ["x", "y"]


def test_write_csv_writes_nan_and_times_readably(tmp_path):
    t = np.datetime64("2024-03-01T00:00", "ns") + np.arange(3) * np.timedelta64(30, "m")
    days = np.datetime64("2024-03-01", "ns") + np.arange(2) * np.timedelta64(1, "D")
    path = write_csv(tmp_path / "t.csv", {"time": t, "day": days,
                                          "v": np.array([1.0, np.nan, np.inf])})
    df = pd.read_csv(path)
    assert list(df["time"]) == ["2024-03-01T00:00", "2024-03-01T00:30", "2024-03-01T01:00"]
    assert list(df["day"].dropna()) == ["2024-03-01", "2024-03-02"]
    assert df["v"][0] == 1.0 and np.isnan(df["v"][1]) and np.isinf(df["v"][2])


def test_write_csv_with_no_columns_writes_an_empty_header(tmp_path):
    path = write_csv(tmp_path / "empty.csv", {})
    assert path.read_bytes() == b"\r\n"  # csv module line ending, like history.csv


@pytest.mark.parametrize("name", ["t.txt", "t.xlsx", "t"])
def test_write_csv_refuses_other_suffixes_with_a_clear_message(tmp_path, name):
    with pytest.raises(ExportError) as err:
        write_csv(tmp_path / name, {"a": [1]})
    assert isinstance(err.value, RnnvizError)
    assert err.value.code == "bad_export_format"
    assert ".csv" in err.value.message


def test_write_csv_refuses_2d_columns(tmp_path):
    with pytest.raises(ExportError, match="only 1-D columns"):
        write_csv(tmp_path / "t.csv", {"a": np.zeros((2, 2))})


def test_a_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(ExportError) as err:
        write_csv(blocker / "sub" / "t.csv", {"a": [1]})
    assert err.value.code == "export_folder"
    assert "choose a folder" in err.value.message
    assert not list(tmp_path.glob("**/*.tmp"))


def test_save_image_png_and_svg_of_a_plain_widget(qtbot, tmp_path):
    label = QLabel("rnnviz export test")
    qtbot.addWidget(label)
    png = save_image(label, tmp_path / "w.png")
    img = QImage(str(png))
    assert not img.isNull()
    assert (img.width(), img.height()) == (label.width(), label.height())
    svg = save_image(label, tmp_path / "w.svg")
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "rnnviz export test" in svg.read_text()  # text stays text


def test_save_image_refuses_other_suffixes(qtbot, tmp_path):
    label = QLabel("x")
    qtbot.addWidget(label)
    with pytest.raises(ExportError) as err:
        save_image(label, tmp_path / "w.jpg")
    assert ".png or .svg" in err.value.message
    assert not (tmp_path / "w.jpg").exists()


def test_view_export_image_of_a_never_shown_view_has_a_real_size(qtbot, tmp_path):
    view = LossView()
    qtbot.addWidget(view)
    assert not view.isVisible()
    img = QImage(str(view.export_image(tmp_path / "loss.png")))
    assert img.width() >= 600 and img.height() >= 300
    with pytest.raises(ExportError):
        view.export_data(tmp_path / "loss.png")
