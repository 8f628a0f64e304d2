"""The classifiers of the posterior encoding: rare labels and their settings."""

import numpy as np
import pytest
import torch

import pid
from pid.posterior import PosteriorOptions, encode_posteriors


def test_a_label_too_rare_for_some_folds_is_predicted_from_the_others():
    # Two samples of label 1 in 300: some folds' fitting rows hold label 0 alone.
    rng = np.random.default_rng(0)
    f1, f2 = rng.normal(size=(300, 4)), rng.normal(size=(300, 4))
    y = np.zeros(300, dtype=int)
    y[:2] = 1
    result = pid.decompose(f1, f2, y, sampling=pid.SamplingOptions(n_null=4))
    assert result.provenance["discretization"]["method"] == "posterior"
    # The features say nothing of y, whose entropy is 0.058 bits: each classifier's cross-fitted
    # cross-entropy stays near it (a fold predicting the other label instead gives 0.425 bits).
    assert max(abs(v) for v in result.terms().values()) < 0.06
    entropies = result.provenance["discretization"]["cross_entropy_bits"]
    assert max(entropies[key] for key in ("x1", "x2", "joint")) < 0.1


def test_posterior_settings_take_numpy_integers_and_refuse_the_rest_in_a_sentence():
    options = PosteriorOptions(folds=np.int64(3), max_train=np.int64(3000), hidden=[64, 32])
    assert (options.folds, options.max_train, options.hidden) == (3, 3000, (64, 32))
    assert type(options.folds) is int and type(options.hidden[1]) is int
    refusals = [
        ({"calibration": 0.5}, "calibration is 0.5; pass a number strictly between 0 and 0.5"),
        ({"hidden": 128}, r"hidden is 128; pass a tuple of positive layer widths, e.g. \(128,\)"),
        ({"hidden": (64, 0)}, "hidden is 0; pass a whole number of at least 1"),
        ({"folds": 1}, "folds is 1; pass a whole number of at least 2"),
        ({"max_train": 2.5}, "max_train is 2.5; pass a whole number of at least 10"),
    ]
    for settings, message in refusals:
        with pytest.raises(ValueError, match=message):
            PosteriorOptions(**settings)
    rng = np.random.default_rng(0)
    x1, x2, y = rng.normal(size=(150, 2)), rng.normal(size=(150, 2)), rng.integers(0, 2, 150)
    fewer = r"leave a fold with fewer than two; pass folds of at most {}"
    with pytest.raises(ValueError, match=r"folds is 76, but 150 samples \(\d+ of the most "):
        encode_posteriors(x1, x2, y, options=PosteriorOptions(folds=76))
    three = np.arange(150) % 3  # 50 samples a label: a 51st fold would be empty
    with pytest.raises(ValueError, match=r"\(50 of the most frequent label\) " + fewer.format(50)):
        encode_posteriors(x1, x2, three, options=PosteriorOptions(folds=51))
    options = PosteriorOptions(folds=50, learning_curve=False)
    assert encode_posteriors(x1, x2, three, options=options).codes1.shape == (150,)
    # A list is kept as a tuple, so that the frozen options stay hashable.
    listed = PosteriorOptions(modality_classifiers=["auto", "logistic"])
    assert listed.modality_classifiers == ("auto", "logistic")
    assert hash(listed) == hash(PosteriorOptions(modality_classifiers=("auto", "logistic")))


def test_torch_classifiers_train_on_batches_sized_for_their_samples(monkeypatch):
    # About a hundred steps an epoch: 256 for a small training set, m // 100 up to 4096 above.
    from pid import nn as pid_nn

    used = []

    def record(features, labels, n_labels, *, train, batch_size, **_):
        used.append((len(train), batch_size))
        return torch.nn.Linear(features.shape[1], n_labels).eval(), {}

    monkeypatch.setattr(pid_nn, "train_classifier", record)
    rng = np.random.default_rng(0)
    n = 80_000
    x1, x2, y = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)), rng.integers(0, 2, n)
    options = PosteriorOptions(device="cpu", folds=2, max_train=60_000, learning_curve=False)
    encoding = encode_posteriors(x1, x2, y, options=options)
    assert encoding.diagnostics["max_train"] == 60_000
    # A fold's 40,000 training rows (under max_train): a tenth to calibrate, a tenth of the
    # rest to stop early on.
    assert {size for _, size in used} == {m // 100 for m, _ in used} and len(used) == 6
    assert all(32_000 <= m <= 33_000 for m, _ in used)
    used.clear()
    small = PosteriorOptions(device="cpu", folds=2, learning_curve=False)
    encode_posteriors(x1[:2_000], x2[:2_000], y[:2_000], options=small)
    assert {size for _, size in used} == {256}
    used.clear()
    given = PosteriorOptions(device="cpu", folds=2, learning_curve=False, batch_size=np.int64(64))
    encode_posteriors(x1[:2_000], x2[:2_000], y[:2_000], options=given)
    assert {size for _, size in used} == {64} and type(given.batch_size) is int
    with pytest.raises(ValueError, match="batch_size is 0; pass a whole number of at least 1"):
        PosteriorOptions(batch_size=0)


def test_classifiers_train_on_twenty_thousand_samples_by_default_off_a_gpu():
    rng = np.random.default_rng(0)
    n = 50_000
    x1, x2 = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    y = (x1[:, 0] > 0).astype(int)
    options = PosteriorOptions(folds=2, learning_curve=False, hidden=(4,))
    assert options.max_train is None
    assert encode_posteriors(x1, x2, y, options=options).diagnostics["max_train"] == 20_000


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_torch_classifiers_on_a_gpu_train_on_more_samples_by_default():
    rng = np.random.default_rng(0)
    n = 500_000
    x1, x2 = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    y = (x1[:, 0] > 0).astype(int)
    options = PosteriorOptions(device="cuda", folds=2, learning_curve=False)
    encoding = encode_posteriors(x1, x2, y, options=options)
    assert encoding.diagnostics["max_train"] == 200_000
    # x1 determines y: its held-out cross-entropy falls far below H(Y) = 1 bit.
    assert encoding.diagnostics["cross_entropy_bits"]["x1"] < 0.1


def test_each_fold_keeps_the_modality_classifier_that_predicts_its_calibration_samples_better():
    # y is the radius of x1 against its median, 10% of labels flipped: I(X1;Y) = 1 - h(0.1) =
    # 0.531 bits, none of it linear in x1; x2 is noise.
    rng = np.random.default_rng(0)
    n = 2000
    x1, x2 = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    radius = np.hypot(x1[:, 0], x1[:, 1])
    y = (radius > np.median(radius)).astype(int) ^ (rng.random(n) < 0.1)
    entropy = 1.0  # the median splits the labels evenly before the flips, which keep it so
    found = {}
    for kind in ("logistic", "perceptron", "auto"):
        options = PosteriorOptions(folds=3, hidden=(32, 32), modality_classifiers=(kind, kind))
        encoding = encode_posteriors(x1, x2, y, options=options)
        found[kind] = encoding.diagnostics
    information = {k: entropy - d["cross_entropy_bits"]["x1"] for k, d in found.items()}
    assert information["logistic"] < 0.02  # a line cannot split a disc from its ring
    # Held out, the information is at most 0.531 bits up to its sampling error; 2,000
    # samples train this perceptron to two thirds of it.
    assert 0.3 < information["perceptron"] < 0.56  # 0.351 to 0.393 over three draws
    assert found["auto"]["classifier_chosen"]["x1"] == ["perceptron"] * 3
    assert information["auto"] == pytest.approx(information["perceptron"], abs=1e-12)
    assert found["logistic"]["classifier_chosen"]["x1"] == ["logistic"] * 3
    # Half the samples train the kind kept on all of them: the deficit is one model's.
    assert found["auto"]["training_deficit_bits"]["x1"] == pytest.approx(
        found["perceptron"]["training_deficit_bits"]["x1"], abs=1e-12
    )
    assert set(found["auto"]["classifier_chosen"]["x2"]) <= {"logistic", "perceptron"}
    # Some 13 calibration samples a fold are too few for a standard error: logistic is kept.
    auto = PosteriorOptions(folds=3, hidden=(32, 32), modality_classifiers=("auto", "auto"))
    few = encode_posteriors(x1[:200], x2[:200], y[:200], options=auto)
    assert few.diagnostics["classifier_chosen"]["x1"] == ["logistic"] * 3
    assert found["auto"]["classifiers"]["x1"].startswith("scikit-learn logistic regression or")
    with pytest.raises(ValueError, match=r"pass two of logistic, perceptron, auto, for x1 and x2"):
        PosteriorOptions(modality_classifiers=("auto", "tree"))


def test_the_choice_of_a_modality_classifier_does_not_flatter_noise():
    # Features of noise: the calibration samples that choose each modality's classifier also
    # choose the joint candidate, and the least loss of two noisy fits would have won there
    # over the label frequencies (I(X1,X2;Y) -0.026 bits held out); the margin of Eq. (2)
    # keeps the label frequencies' zero.
    rng = np.random.default_rng(3)
    x1, x2 = rng.standard_normal((2, 600, 20))
    y = rng.choice(6, size=600, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    options = PosteriorOptions(modality_classifiers=("auto", "auto"))
    result = pid.decompose(x1, x2, y, posterior=options, sampling=pid.SamplingOptions(n_null=10))
    chosen = result.provenance["discretization"]["classifier_chosen"]
    # Each of the ten choices keeps the perceptron of noise with some 2% chance (Eq. 2).
    assert (chosen["x1"] + chosen["x2"]).count("logistic") >= 9
    assert result.mi_x1x2_y == pytest.approx(0.0, abs=0.02)
    assert abs(result.S) <= 0.03


def _clusters_and_noise(spread: float, seed: int = 0):
    """Noise for x1; x2 eight Gaussian clusters of the label, ``spread`` apart."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 8, 1000)
    x2 = rng.normal(size=(8, 16))[y] * spread + rng.normal(size=(1000, 16))
    return rng.normal(size=(1000, 16)), x2, y


def test_resolution_the_codes_lost_is_not_counted_as_synergy():
    # Eight overlapping clusters: twelve codes of p(y | x2) hold 0.39 bits less than its
    # classifier. Counted as synergy, they stood out from the null model (S 0.46 bits); x1 is
    # noise, so Eq. (1) of CodingLoss leaves (almost) no room and gives them to U2. What is
    # left of S is the joint classifier's training deficit, which I(X1,X2;Y) gains and
    # I(X2;Y) does not.
    noise, x2, y = _clusters_and_noise(0.6)
    result = pid.decompose(noise, x2, y, sampling=pid.SamplingOptions(n_null=19))
    lost = result.sampling["coding_loss_bits"]
    discretization = result.provenance["discretization"]
    losses, deficits = (discretization[k] for k in ("cross_entropy_bits", "training_deficit_bits"))
    p = np.bincount(y) / len(y)
    held = [-(p * np.log2(p)).sum() - losses[key] for key in ("x1", "x2")]
    assert lost["x1"] == 0.0 and lost["x2"] == pytest.approx(0.39, abs=0.03)
    low, high = lost["ranges"]["S"]
    assert low <= result.S <= high and high - low < 0.01
    assert result.mi_x2_y == pytest.approx(held[1])  # the features' I(X2;Y): the classifier's
    assert result.S == pytest.approx(deficits["joint"], abs=0.02)
    assert result.S < 0.15 and not result.sampling["null"]["above_null"]["S"]
    assert result.U2 == pytest.approx(held[1], abs=0.02)
    # The estimate is exact up to that room, so no range of synergy is warned of.
    assert not any("classifiers" in note for note in result.sampling["warnings"])
    # The bias removed is the plug-in less the codes' corrected terms (the low end of S's
    # range less both losses), without the move.
    bias = result.sampling["bias_bits"]["S"]
    assert result.sampling["plugin"]["S"] - bias == pytest.approx(low + lost["x2"])
    # Clusters far apart: twelve codes hold what the classifier does.
    noise, x2, y = _clusters_and_noise(1.5)
    apart = pid.decompose(noise, x2, y, sampling=pid.SamplingOptions(n_null=5))
    assert apart.sampling["coding_loss_bits"]["x2"] < 0.02


def test_a_signal_both_codes_lose_the_same_of_is_redundant_not_synergistic():
    # The same overlapping clusters in both modalities: each code loses the same 0.39 bits of
    # the one signal, which the codes' table counted as synergy. Eq. (1) of CodingLoss leaves
    # the redundancy between losing none of them to synergy and keeping the features'
    # uniqueness non-negative, a range as wide as the joint classifier's training deficit.
    _, x2, y = _clusters_and_noise(0.6)
    result = pid.decompose(x2, x2.copy(), y, sampling=pid.SamplingOptions(n_null=5))
    lost = result.sampling["coding_loss_bits"]
    deficit = result.provenance["discretization"]["training_deficit_bits"]["joint"]
    assert lost["x1"] == pytest.approx(lost["x2"]) and lost["x1"] > 0.35
    low, high = lost["ranges"]["S"]
    assert low == pytest.approx(0.0, abs=1e-9) and low <= result.S <= high
    assert high == pytest.approx(deficit, abs=0.03)
    assert abs(result.U1) < 0.03 and abs(result.U2) < 0.03
    assert result.R == pytest.approx(result.mi_x1_y, abs=0.03)
