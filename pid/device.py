"""Choosing the torch device: ``"auto"`` means CUDA when it is available, else the CPU."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """The ``torch.device`` for ``device``: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ...

    ``"auto"`` picks ``cuda`` when ``torch.cuda.is_available()`` and the CPU otherwise; nothing
    in the toolkit hard-codes a device. Asking for CUDA where there is none is an error rather
    than a silent fall-back to the CPU.
    """
    import torch

    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device {device!r} is not a torch device; pass 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} asks for CUDA, which is not available here; "
            "pass device='auto' or 'cpu'."
        )
    return resolved
