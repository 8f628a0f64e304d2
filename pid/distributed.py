"""Data-parallel training under ``torchrun``: the processes that train one model together.

Launch any trainer of the toolkit under ``torchrun`` and it runs data-parallel, one process a
device, with nothing else to change::

    torchrun --nproc_per_node 2 -m pid zoo train DATA --models ef tensor --out zoo
    torchrun --nproc_per_node 2 -m pid factorcl train DATA --method factorcl-ssl
    torchrun --nproc_per_node 4 my_script.py   # calling pid.models.train_model, ...

:func:`join_group` reads the launch from the environment torchrun sets (``WORLD_SIZE``,
``RANK``, ``LOCAL_RANK``), initializes the default process group once (NCCL beside gloo for
CUDA devices, gloo for the CPU) and returns the :class:`Group`; without ``WORLD_SIZE`` (or with
one process) the group is this process alone, and every method below leaves the computation
exactly as it was. Importing the module does not import torch.

What the trainers do with it (docs/distributed.md):

- ``batch_size`` stays the size of the *global* minibatch: every process draws the same order
  of the samples (the same seed), and computes its part of each minibatch
  (:meth:`Group.shard`); a last minibatch with fewer samples than processes is left out.
- After each backward pass the gradients are averaged over the processes, each weighted by its
  share of the minibatch, so the step is that of the whole minibatch (:meth:`Group.backward`).
  The trainers call methods other than ``forward`` (``model.loss``, the critics' steps), which
  ``DistributedDataParallel`` does not hook, so the averaging is this one ``all_reduce``.
- Every epoch's record (losses, validation) is averaged over the processes
  (:meth:`Group.mean`), so early stopping decides the same on every one; the weights start as
  rank 0's and end as rank 0's (:meth:`Group.broadcast`), the same model everywhere.
- Contrastive objectives score each process's anchors against the whole global minibatch
  (:meth:`Group.gather`), so they see as many negatives as one process would.
- Only rank 0 writes files and shows progress (:attr:`Group.main`).
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

#: The variables torchrun sets for every process it starts.
LAUNCH_VARIABLES = ("WORLD_SIZE", "RANK", "LOCAL_RANK")
#: What to do about a launch that is not torchrun's.
LAUNCH_REMEDY = "launch with torchrun, which sets it, or unset WORLD_SIZE to train in one process"


@dataclass(frozen=True)
class Group:
    """This process's place among those training one model: ``rank`` of ``world_size``, and
    the ``device`` it trains on. A group of one process changes nothing."""

    device: torch.device
    rank: int = 0
    world_size: int = 1

    @property
    def distributed(self) -> bool:
        """Whether other processes train beside this one."""
        return self.world_size > 1

    @property
    def main(self) -> bool:
        """Whether this is rank 0, the process that writes files and shows progress."""
        return self.rank == 0

    def check_batch_size(self, batch_size: int, name: str = "batch_size") -> None:
        """Refuse a minibatch of fewer samples than processes, which :meth:`shard` could not
        give each a sample of; ``name`` names the setting in the sentence."""
        if batch_size < self.world_size:
            raise ValueError(
                f"{name} is {batch_size}, but the {self.world_size} processes torchrun started "
                f"share each minibatch, a sample or more each; pass {name} of at least "
                f"{self.world_size}, or start fewer processes."
            )

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This process's part of a minibatch (of sample indices): the ``rank``-th of
        ``world_size`` consecutive parts whose sizes differ by one at most."""
        if not self.distributed:
            return batch
        return batch.tensor_split(self.world_size)[self.rank]

    def backward(
        self,
        loss: torch.Tensor,
        parameters: Iterable[nn.Parameter],
        share: float | None = None,
    ) -> torch.Tensor:
        """``loss.backward()``, then the gradients of ``parameters`` averaged over the
        processes; returns the loss averaged the same way, the same number on every process,
        as a detached tensor on the loss's device (reading it, ``float(...)``, waits for the
        device: a training loop reads it once an epoch, not once a step).

        ``share`` is this process's part of the minibatch (its samples over the minibatch's;
        None: equal parts): each process's loss is weighted by ``share * world_size``, so that
        the averages are the mean loss of the whole minibatch and its gradient. Parameters
        without a gradient are left out (they are the same on every process: the same model
        runs everywhere).
        """
        if not self.distributed:
            loss.backward()
            return loss.detach()
        import torch
        import torch.distributed as dist

        weight = 1.0 if share is None else share * self.world_size
        (loss * weight).backward()
        grads = [p.grad for p in parameters if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads] + [(loss.detach() * weight).reshape(1)])
        dist.all_reduce(flat)
        flat /= self.world_size
        start = 0
        for grad in grads:
            grad.copy_(flat[start : start + grad.numel()].view_as(grad))
            start += grad.numel()
        return flat[-1].clone()  # not a view that would keep the gradients alive

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """``values`` averaged over the processes (every process passes the same keys)."""
        if not self.distributed:
            return values
        import torch
        import torch.distributed as dist

        tensor = torch.tensor(list(values.values()), dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return dict(zip(values, (tensor / self.world_size).tolist(), strict=True))

    def broadcast(self, module: nn.Module) -> None:
        """Give every process rank 0's parameters and buffers, in place."""
        if self.distributed:
            import torch.distributed as dist

            for tensor in module.state_dict().values():
                dist.broadcast(tensor, 0)

    def share(self, value: Any) -> Any:
        """Rank 0's ``value`` (any picklable object), on every process."""
        if not self.distributed:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, 0, device=self.device)
        return box[0]

    def gather(self, tensor: torch.Tensor) -> torch.Tensor:
        """Every process's ``tensor`` (the same shape on each) stacked along the first axis,
        in rank order; this process's rows start at ``rank * len(tensor)``.

        Differentiable: each process's gradient with respect to the gathered tensor is summed
        over the processes and handed back to the process whose rows they are, so averaged
        gradients are exactly those of the loss of the whole minibatch.
        """
        if not self.distributed:
            return tensor
        return _gather().apply(tensor, self.world_size, self.rank)

    def seed(self, seed: int) -> int:
        """A seed of this process's own draws (augmentations): ``seed`` itself in one process,
        one drawn from ``(seed, rank)`` among several, different on every process."""
        if not self.distributed:
            return seed
        return int(np.random.SeedSequence([seed, self.rank]).generate_state(1)[0])


def launched() -> bool:
    """Whether torchrun (or a launcher like it) started this process among several."""
    return _launch_value("WORLD_SIZE") not in (None, 1)


def join_group(device: str | torch.device = "auto") -> Group:
    """This process's :class:`Group`, the default process group initialized on first use.

    Without a launch (:func:`launched`) it is this process alone, on
    :func:`pid.backend.resolve_device`'s device. Under torchrun, ``"auto"`` and ``"cuda"``
    mean the GPU numbered ``LOCAL_RANK`` (where CUDA is available; ``"cuda:N"`` must name that
    one) and the backend is NCCL beside gloo; ``"cpu"`` (or ``"auto"`` without CUDA) means
    gloo. Under torchrun, a process group already initialized (by your own script, say) is
    used as it is.
    """
    import torch
    import torch.distributed as dist

    from pid.backend import resolve_device

    if not launched():
        return Group(resolve_device(device))
    world_size, rank, local_rank = (_required(name) for name in LAUNCH_VARIABLES)
    if not 0 <= rank < world_size:
        raise ValueError(f"RANK is {rank} but WORLD_SIZE is {world_size}; {LAUNCH_REMEDY}.")
    resolved = _device(device, local_rank, world_size)
    if not dist.is_available():
        raise ValueError(
            f"WORLD_SIZE is {world_size} but this torch has no torch.distributed; install a "
            "torch build with it, or unset WORLD_SIZE to train in one process."
        )
    if not dist.is_initialized():
        for name in ("MASTER_ADDR", "MASTER_PORT"):
            if name not in os.environ:
                raise ValueError(f"WORLD_SIZE is set but {name} is not; {LAUNCH_REMEDY}.")
        if resolved.type == "cuda":
            torch.cuda.set_device(resolved)
            dist.init_process_group("cpu:gloo,cuda:nccl", device_id=resolved)
        else:
            dist.init_process_group("gloo")
        atexit.register(_leave)
    return Group(resolved, dist.get_rank(), dist.get_world_size())


def main_process() -> bool:
    """Whether this process is rank 0 (or alone, whatever ``RANK`` says without
    ``WORLD_SIZE``, as :func:`join_group` reads it): the one that writes files and prints."""
    return not launched() or _launch_value("RANK") == 0


def _leave() -> None:
    """Destroy the process group :func:`join_group` initialized, unless the script did."""
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def _device(device: str | torch.device, local_rank: int, world_size: int) -> torch.device:
    """The device of the process numbered ``local_rank`` on its machine."""
    import torch

    from pid.backend import resolve_device

    requested = resolve_device(device)
    if requested.type != "cuda":
        return requested
    if requested.index not in (None, local_rank):
        raise ValueError(
            f"device is {str(device)!r}, but under torchrun each of the {world_size} processes "
            f"trains on the GPU numbered by its LOCAL_RANK ({local_rank} here); pass device "
            "'auto' or 'cuda'."
        )
    if local_rank >= torch.cuda.device_count():
        raise ValueError(
            f"LOCAL_RANK is {local_rank} but this machine has {torch.cuda.device_count()} "
            "GPU(s); start at most that many processes a machine (--nproc_per_node)."
        )
    return torch.device("cuda", local_rank)


def _launch_value(name: str) -> int | None:
    """The whole number in the environment variable ``name``, None where it is unset."""
    text = os.environ.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} is {text!r}, not a whole number; {LAUNCH_REMEDY}.") from None
    if value < 0 or (name == "WORLD_SIZE" and value < 1):
        raise ValueError(f"{name} is {value}; {LAUNCH_REMEDY}.")
    return value


def _required(name: str) -> int:
    value = _launch_value(name)
    if value is None:
        raise ValueError(f"WORLD_SIZE is set but {name} is not; {LAUNCH_REMEDY}.")
    return value


@cache
def _gather() -> Any:
    """The autograd function of :meth:`Group.gather` (built on first use: torch is imported
    then)."""
    import torch
    import torch.distributed as dist

    class Gather(torch.autograd.Function):
        """All-gather along the first axis whose backward sums the gradients over the
        processes and keeps this process's rows."""

        @staticmethod
        def forward(ctx: Any, tensor: torch.Tensor, world_size: int, rank: int) -> torch.Tensor:
            tensor = tensor.contiguous()
            parts = [torch.empty_like(tensor) for _ in range(world_size)]
            dist.all_gather(parts, tensor)
            ctx.rows = slice(rank * len(tensor), (rank + 1) * len(tensor))
            return torch.cat(parts)

        @staticmethod
        def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
            grad = grad.contiguous().clone()
            dist.all_reduce(grad)
            return grad[ctx.rows], None, None

    return Gather
