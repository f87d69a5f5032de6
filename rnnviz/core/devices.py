"""Choosing where the model runs: ``cpu``, ``cuda`` or ``auto``."""

from __future__ import annotations

import torch

from rnnviz.core.errors import ConfigError


def resolve_device(name: str | torch.device = "cpu") -> torch.device:
    """Turn a device setting into a ``torch.device``.

    Parameters
    ----------
    name : {"cpu", "cuda", "auto"} or str or torch.device
        ``"auto"`` picks CUDA when a GPU is usable, else the CPU. ``"cuda:1"`` style names
        and ``torch.device`` objects are accepted too.

    Returns
    -------
    torch.device

    Raises
    ------
    ConfigError
        CUDA was asked for but this machine (or this torch build) has no usable GPU, or the
        name is not a device.
    """
    if isinstance(name, torch.device):
        dev = name
    else:
        text = str(name).strip().lower()
        if text == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            dev = torch.device(text)
        except RuntimeError:
            raise ConfigError(
                "bad_device", f"Unknown device {name!r}; use cpu, cuda or auto."
            ) from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(
                "no_cuda",
                "CUDA was chosen but no usable GPU was found (or this torch build is CPU-only). "
                "Choose the device 'cpu' or 'auto'.",
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(
                "no_cuda",
                f"GPU {dev.index} does not exist; this machine has {torch.cuda.device_count()}.",
            )
    elif dev.type != "cpu":
        raise ConfigError("bad_device", f"Unsupported device {name!r}; use cpu, cuda or auto.")
    return dev
