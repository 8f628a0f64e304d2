"""A one-line description of the machine a benchmark ran on."""

import os
import platform

import numpy as np


def describe() -> str:
    """CPU model, core count, memory, Python and numpy versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if "model name" in line)
    except (OSError, StopIteration):
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {cores} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
