"""The main window's file work: save and load models, save and open sessions, export
pictures and data (a part of :class:`~rnnviz.gui.main_window.MainWindow`, kept in its own
file)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from rnnviz.core.errors import ConfigError, RnnvizError
from rnnviz.gui import session as S
from rnnviz.gui.session import on_screen

SESSION_FILTER = "rnnviz session (*.rnnviz.json *.json);;All files (*)"


def export_folder_in(folder: str | Path) -> Path:
    """Where Export all writes when the user picks ``folder``: the folder itself when it is
    new or empty, else a new ``rnnviz-export-<date>-<time>`` folder inside it, so that no
    file already there is overwritten."""
    folder = Path(folder)
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return folder
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = folder / f"rnnviz-export-{stamp}"
    n = 2
    while target.exists():
        target = folder / f"rnnviz-export-{stamp}-{n}"
        n += 1
    return target


class WindowFiles:
    """Saves and loads models and sessions and exports the views, for the window."""

    # ================================================================== models
    def _quiesce(self) -> bool:
        """Make sure the worker is not changing weights (pause and wait). Returns False if
        it could not be paused within two seconds."""
        st = self.session.state
        if not self.session.is_active or st == S.FINISHED:
            return True
        if st == S.RUNNING:
            self.session.pause()
        ctl = self.session.control
        waiter = getattr(ctl, "wait_until_blocked", None)
        return True if waiter is None else bool(waiter(2.0))

    def ask_save_model(self) -> None:
        """File ▸ Save Model…"""
        if self.session.model is None:
            self.dialogs.info("No model yet", "Train a model first (Start), then save it.")
            return
        folder = self.dialogs.ask_save_file(
            "Save model to a folder", str(Path(self.settings.last_directory()) / "model"),
            "Model folder (*)")
        if folder:
            self.save_model(folder)

    def save_model(self, folder: str | Path) -> Path | None:
        """Save the trained model (weights, settings, scaler, columns) into ``folder``."""
        from rnnviz.core.checkpoint import save_model

        model = self.session.model
        run = self.session.run_config
        if model is None or run is None or self.series is None:
            self.dialogs.info("No model yet", "Train a model first (Start), then save it.")
            return None
        was_running = self.session.state == S.RUNNING
        if not self._quiesce():
            self.dialogs.warning("Still busy", "Training did not pause in time; try again.")
            return None
        try:
            fin = self.session.finished_event
            extra = {"data_path": self.data_panel.path, "sample": self.sample_name,
                     "steps": self.session.history.n_batches,
                     "epochs_run": len(self.session.history.epochs),
                     "best_val_loss": getattr(fin, "best_val_loss", None)}
            scaler = self.splits.scaler if self.splits.scaler is not None else self.series.scaler
            out = save_model(folder, model, run, scaler=scaler.to_dict(),
                             feature_names=self.splits.feature_names,
                             target_names=self.splits.target_names, extra=extra)
        except RnnvizError as exc:
            self.dialogs.error("Could not save the model", exc.message)
            return None
        finally:
            if was_running:
                self.session.resume()
        self.settings.set_last_directory(str(Path(folder).parent))
        self.statusBar().showMessage(f"Model saved in {out}", 6000)
        return Path(out)

    def ask_load_model(self) -> None:
        """File ▸ Load Model…"""
        folder = self.dialogs.ask_folder("Load a saved model folder", self.settings.last_directory())
        if folder:
            self.load_model(folder)

    def load_model(self, folder: str | Path) -> bool:
        """Load a saved model: its settings go to the panels, its weights are the starting
        point of the next Start."""
        from rnnviz.core.checkpoint import load_model

        if self.session.is_active:
            self.dialogs.warning("Training is running", "Stop training before loading a model.")
            return False
        try:
            loaded = load_model(folder)
        except RnnvizError as exc:
            self.dialogs.error("Could not load the model", exc.message)
            return False
        table = self.data_panel.table
        columns = {str(c) for c in getattr(table, "numeric_columns", ())}
        missing = [n for n in loaded.feature_names if n not in columns]
        if table is not None and missing:
            # continuing a model on other columns would train it on data it never read
            self.dialogs.error(
                "The model does not fit the open file",
                f"This model reads the column(s) {', '.join(loaded.feature_names)}; the open "
                f"file has no {', '.join(missing)}. Open a file with those columns first, then "
                "load the model; or train a new model on this file.")
            return False
        run = loaded.run
        self.model_panel.set_config(run)
        if table is not None:
            self.data_panel.set_data_config(run.data)
            self.prepare_data()
        self.session.reset()
        self.session.set_loaded_model(loaded.model)
        self._loaded_model_dir = str(folder)
        self._loaded_names = tuple(loaded.feature_names)
        self._update_actions()
        self.state_label.setText(
            f"Loaded the model in {Path(folder).name}: press Start to continue training it on "
            "the open data.")
        return True

    # ================================================================== sessions
    def ask_save_session(self) -> None:
        """File ▸ Save Session…"""
        path = self.dialogs.ask_save_file(
            "Save session", str(Path(self.settings.last_directory()) / "session.rnnviz.json"),
            SESSION_FILTER)
        if path:
            p = Path(path)
            if not p.name.endswith(".json"):  # typed without one: Open Session's filter
                p = p.with_name(p.name + ".rnnviz.json")  # would hide the file
            self.save_session(p)

    def save_session(self, path: str | Path) -> Path | None:
        """Write a session file; a trained model is saved beside it (``<name>_model/``)."""
        from rnnviz.gui.sessionfile import SessionFile, save_session

        path = Path(path)
        try:
            run = self.model_panel.run_config(self._current_data_config())
        except ConfigError as exc:
            self.dialogs.error("A setting is out of range", exc.message)
            return None
        model_dir = None
        if self.session.model is not None and self.series is not None:
            stem = path.name.removesuffix(".json").removesuffix(".rnnviz")
            saved = self.save_model(path.parent / f"{stem}_model")
            if saved is None:
                return None
            model_dir = saved
        elif self._loaded_model_dir:
            model_dir = Path(self._loaded_model_dir)
        data_path = Path(self.data_panel.path) if self.data_panel.path else None
        sess = SessionFile(data_path=data_path, run=run,
                           options={"sample": self.sample_name},
                           settings={"torch_threads": self.session.torch_threads},
                           model_dir=model_dir)
        try:
            out = save_session(path, sess)
        except RnnvizError as exc:
            self.dialogs.error("Could not save the session", exc.message)
            return None
        self.settings.add_recent_file(out)
        self.statusBar().showMessage(f"Session saved in {out}", 6000)
        return out

    def ask_open_session(self) -> None:
        """File ▸ Open Session…"""
        path = self.dialogs.ask_open_file("Open session", self.settings.last_directory(),
                                          SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str | Path) -> bool:
        """Restore a session: data file, settings and (when saved) the model."""
        from rnnviz.gui.sessionfile import load_session

        if self.session.is_active:
            self.dialogs.warning("Training is running", "Stop training before opening a session.")
            return False
        try:
            sess = load_session(path)
        except RnnvizError as exc:
            self.dialogs.error("Cannot open the session", exc.message)
            return False
        self.model_panel.set_config(sess.run)
        threads = sess.settings.get("torch_threads")
        if isinstance(threads, int) and threads > 0:
            self.session.torch_threads = threads
        if sess.model_dir is not None:
            folder = sess.model_dir
            self._after_open.append(lambda: self.load_model(folder))
        self.settings.add_recent_file(path)
        if sess.data_path is not None:
            self.open_csv(sess.data_path, config=sess.run.data,
                          sample=sess.options.get("sample") if isinstance(sess.options, dict) else None)
        return True

    # ================================================================== export
    def _render_all(self) -> None:
        self.session.render_views(all_views=True)

    def ask_export_view(self, key: str, kind: str) -> None:
        """File ▸ Export ▸ VIEW ▸ PNG / SVG / CSV."""
        title = getattr(self.views[key], "title", key)
        filters = {"png": "PNG picture (*.png)", "svg": "SVG picture (*.svg)",
                   "csv": "CSV table (*.csv)"}[kind]
        path = self.dialogs.ask_save_file(
            f"Export {title}", str(Path(self.settings.last_directory()) / f"{key}.{kind}"), filters)
        if path:
            if not path.lower().endswith(f".{kind}"):
                path += f".{kind}"
            self.export_view(key, path)

    def export_view(self, key: str, path: str | Path) -> Path | None:
        """Write one view's picture (``.png``/``.svg``) or data (``.csv``)."""
        view = self.views[key]
        self.session.render_view(view)
        front = self.front_views()
        try:
            if Path(path).suffix.lower() == ".csv":
                out = view.export_data(path)
            else:
                self.show_view_for_export(key)
                out = view.export_image(path)
        except RnnvizError as exc:
            self.dialogs.error("Export failed", exc.message)
            return None
        finally:
            self.restore_front_views(front)
        self.settings.set_last_directory(str(Path(path).parent))
        self.statusBar().showMessage(f"Saved {out}", 5000)
        return Path(out)

    def ask_export_history(self) -> None:
        """File ▸ Export ▸ Training history (CSV)…"""
        path = self.dialogs.ask_save_file(
            "Export training history", str(Path(self.settings.last_directory()) / "history.csv"),
            "CSV table (*.csv)")
        if path:
            self.export_history(path)

    def export_history(self, path: str | Path) -> Path | None:
        """Write one row per epoch: epoch, train_loss, val_loss, lr, grad_norm, seconds."""
        try:
            out = self.session.history.write_history_csv(path)
        except OSError as exc:
            self.dialogs.error("Export failed", f"Cannot write {path} ({exc.strerror}); choose "
                               "a folder you can write to.")
            return None
        return Path(out)

    def ask_export_all(self) -> None:
        """File ▸ Export ▸ Export all…"""
        folder = self.dialogs.ask_folder("Export everything to a folder",
                                         self.settings.last_directory())
        if folder:
            self.export_all(export_folder_in(folder))

    def show_view_for_export(self, key: str) -> None:
        """Bring a view to the front (its tab raised) so its picture has its on-screen size;
        a view whose dock is closed is laid out at 900x560 instead."""
        dock = self.docks[key]
        view = self.views[key]
        self.session.render_view(view)  # first: drawing may switch message -> plots
        if dock.isHidden():
            view.resize(900, 560)
        elif not on_screen(view):
            dock.raise_()
        for _ in range(3):  # lay the view out at its on-screen size (resizes cascade)
            QApplication.processEvents()

    def front_views(self) -> list[str]:
        """Keys of the views on screen now (to restore the tabs after exporting)."""
        return [k for k, v in self.views.items() if on_screen(v)]

    def restore_front_views(self, keys: list[str]) -> None:
        """Raise these views' docks again."""
        for k in keys:
            self.docks[k].raise_()

    def export_view_pictures(self, folder: str | Path, suffixes: tuple[str, ...] = (".png",)
                             ) -> list[Path]:
        """Save every view's picture into ``folder`` as ``<key><suffix>``."""
        folder = Path(folder)
        written: list[Path] = []
        front = self.front_views()
        try:
            for key, view in self.views.items():
                self.show_view_for_export(key)
                for suffix in suffixes:
                    written.append(Path(view.export_image(folder / f"{key}{suffix}")))
        finally:
            self.restore_front_views(front)
        return written

    def export_all(self, folder: str | Path) -> list[Path]:
        """Write every view as PNG, SVG and CSV, the history, the settings and a picture of
        the window into ``folder``.

        Returns
        -------
        list of Path
            The files written.
        """
        folder = Path(folder)
        written: list[Path] = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._render_all()
            written += self.export_view_pictures(folder, (".png", ".svg"))
            for key, view in self.views.items():
                written.append(Path(view.export_data(folder / f"{key}.csv")))
            written.append(Path(self.session.history.write_history_csv(folder / "history.csv")))
            written.append(self.save_window_picture(folder / "window.png"))
            run = self.session.run_config
            if run is not None:
                p = folder / "settings.json"
                p.write_text(json.dumps(run.to_dict(), indent=2) + "\n", encoding="utf-8")
                written.append(p)
        except RnnvizError as exc:
            self.dialogs.error("Export failed", exc.message)
        except OSError as exc:
            self.dialogs.error("Export failed", f"Cannot write into {folder} ({exc.strerror}); "
                               "choose a folder you can write to.")
        else:
            self.statusBar().showMessage(f"Exported {len(written)} files to {folder}", 6000)
        return written

    def save_window_picture(self, path: str | Path) -> Path:
        """Save a PNG of the whole window as it is on screen."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.grab().save(str(path), "PNG"):
            raise RnnvizError("export_write", f"Cannot write the picture {path}; choose a "
                              "folder you can write to.")
        return path
