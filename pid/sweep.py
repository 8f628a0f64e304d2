"""Running independent jobs: in this process, in processes on this machine, or on a Ray or
Dask cluster.

Sweeps (the tables of a bootstrap, the datasets and seeds of a reference bank, the seeds of a
zoo, many inputs to ``pid compute``) are lists of independent jobs. :func:`run_sweep` runs
them through joblib with the backend of :class:`SweepOptions` and returns their results in
the order of the jobs, so that a sweep gives the same numbers whatever runs it: every job
carries its own data and seed. Ray (``pip install ray``) and Dask (``pip install
"dask[distributed]"``) are optional.
"""

from __future__ import annotations

import contextlib
import numbers
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: Where jobs run: ``"processes"`` on this machine (joblib's loky), or on a Ray or Dask
#: cluster.
BACKENDS = ("processes", "ray", "dask")


@dataclass(frozen=True)
class SweepOptions:
    """Where the jobs of a sweep run.

    Attributes
    ----------
    backend : str
        One of :data:`BACKENDS`.
    n_jobs : int
        Workers: with ``"processes"``, 1 runs every job in this process, one after the other
        (the default), and ``-1`` uses every core of this machine. With Ray or Dask the jobs
        always go to the cluster: ``n_jobs`` sizes the local cluster started without an
        ``address`` (``-1``: a worker a core), and joblib spreads them over the workers of a
        running one (Dask uses all of them whatever ``n_jobs`` says).
    address : str or None
        The address of a running Ray cluster (``"auto"``, ``"ray://host:10001"``) or Dask
        scheduler (``"tcp://host:8786"``); None starts a local one with ``n_jobs`` workers
        for the sweep and stops it after (or uses the Ray runtime already started in this
        process).
    """

    backend: str = "processes"
    n_jobs: int = 1
    address: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(
                f"backend {self.backend!r} is unknown; choose one of {', '.join(BACKENDS)}."
            )
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, numbers.Integral):
            raise ValueError(f"n_jobs is {self.n_jobs!r}; pass a whole number (1, 2, ... or -1).")
        object.__setattr__(self, "n_jobs", int(self.n_jobs))  # numpy integers too
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise ValueError(
                f"n_jobs is {self.n_jobs}; pass 1 (this process), a number of workers, or -1 "
                "(all of them)."
            )
        if self.address is not None and (not isinstance(self.address, str) or not self.address):
            raise ValueError(
                f"address is {self.address!r}; pass the address of a running cluster as text "
                "(e.g. 'tcp://host:8786'), or None to start a local one."
            )
        if self.address is not None and self.backend == "processes":
            raise ValueError(
                "address is given for the processes backend (backend), which runs on this "
                "machine; pass backend 'ray' or 'dask' with it, or no address."
            )

    @property
    def serial(self) -> bool:
        """Whether the jobs run in this process, one after the other."""
        return self.backend == "processes" and self.n_jobs == 1


def run_sweep(
    function: Callable[..., Any],
    jobs: Sequence[tuple[Any, ...]],
    options: SweepOptions | None = None,
    *,
    progress: bool = False,
    description: str = "jobs",
) -> list[Any]:
    """``[function(*job) for job in jobs]``, run where ``options`` say.

    ``function`` must be importable by name (a module-level function) for other processes
    to run it; each job holds everything it needs, seeds included, so the results are the
    same whatever the backend and the number of workers. ``progress`` shows a bar of the jobs
    done on stderr (labelled ``description``) once they take more than two seconds.

    Under torchrun (:mod:`pid.distributed`) the jobs run in this process, one after the other:
    its trainings are shared with the other processes torchrun started, so a sweep of several
    workers is refused.
    """
    from tqdm.auto import tqdm

    from pid.distributed import launched

    options = options or SweepOptions()
    if launched() and not options.serial:
        raise ValueError(
            f"the sweep asks for {options.n_jobs} {options.backend} workers, but torchrun "
            "started this process among several that train together; pass n_jobs=1 "
            "(--jobs 1) under torchrun."
        )
    jobs = list(jobs)
    bar = tqdm(total=len(jobs), desc=description, disable=not progress, leave=False, delay=2.0)
    with bar:
        if options.serial or len(jobs) <= 1:
            results = []
            for job in jobs:
                results.append(function(*job))
                bar.update()
            return results
        import joblib

        with _backend(options) as (backend, n_jobs):
            with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
                # Ray's backend returns the results at the end only.
                streamed = "list" if backend == "ray" else "generator"
                done = joblib.Parallel(return_as=streamed)(
                    joblib.delayed(function)(*job) for job in jobs
                )
                results = []
                for result in done:
                    results.append(result)
                    bar.update()
                return results


@contextlib.contextmanager
def _backend(options: SweepOptions) -> Iterator[tuple[str, int]]:
    """joblib's name of the backend and the workers to ask for, with the cluster up."""
    if options.backend == "processes":
        yield "loky", options.n_jobs
    elif options.backend == "ray":
        with _ray(options):
            yield "ray", options.n_jobs
    else:
        with _dask(options):
            yield "dask", options.n_jobs


@contextlib.contextmanager
def _ray(options: SweepOptions) -> Iterator[None]:
    ray = _require("ray", "ray")
    from ray.util.joblib import register_ray

    register_ray()
    started = False
    if ray.is_initialized() and options.address:
        raise ValueError(
            f"address is {options.address!r}, but this process already runs a Ray runtime, "
            "which the sweep would use instead; drop address, or call ray.shutdown() first."
        )
    if not ray.is_initialized():
        workers = None if options.n_jobs == -1 else options.n_jobs
        settings: dict[str, Any] = (
            {"address": options.address} if options.address else {"num_cpus": workers}
        )
        ray.init(**settings, include_dashboard=False, log_to_driver=False)
        started = True
    try:
        yield
    finally:
        if started:
            ray.shutdown()


@contextlib.contextmanager
def _dask(options: SweepOptions) -> Iterator[None]:
    distributed = _require("distributed", '"dask[distributed]"')
    if options.address:
        with distributed.Client(options.address):
            yield
        return
    workers = (os.cpu_count() or 1) if options.n_jobs == -1 else options.n_jobs
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        yield


def _require(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ValueError(
            f"backend needs {module}, which is not installed; pip install {package}, or choose "
            "backend='processes'."
        ) from None
