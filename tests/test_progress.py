"""Progress on standard error over the steps of ``pid compute`` that can take long."""

import numpy as np
import pytest
import tqdm.auto

from pid.workflows.compute import analyze


@pytest.mark.parametrize("progress", [True, False])
def test_the_solves_of_the_correction_show_a_bar(monkeypatch, progress):
    bars = []

    class Recorded(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append((kwargs, self))

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorded)
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    analyze(x1, x2, (x1 + x2) % 2, progress=progress)
    # The tables of the correction: the sample's and its halves and quarters (1 + 2 + 4), for
    # the data and each of 20 permutations, 147 in 5 batches of at most 32 (the whole table's
    # one solve shows no bar).
    shown = [
        (kw["total"], bar.n) for kw, bar in bars if kw["desc"] == "solving" and not kw["disable"]
    ]
    assert shown == ([(5, 5)] if progress else [])
