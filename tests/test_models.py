"""The fusion zoo: each family computes its formula, trains, and is refused bad input."""

import os
import re
import stat

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from pid.datasets import generative, generative_mixture  # noqa: E402
from pid.models import (  # noqa: E402
    MIN_SAMPLES,
    MODELS,
    TrainConfig,
    build_model,
    fit_model,
    split_indices,
    train_model,
)

VECTOR = ((6,), (5,))
SEQUENCE = ((4, 3), (7, 2))


def _inputs(shapes, n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, *s, generator=g) for s in shapes]


@pytest.mark.parametrize("shapes", [VECTOR, SEQUENCE, ((6,), (4, 3))], ids=["vec", "seq", "mixed"])
@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_gives_logits_and_a_trainable_loss(name, shapes):
    torch.manual_seed(0)
    model = build_model(name.lower(), *shapes, n_classes=3, hidden=8)
    x1, x2 = _inputs(shapes)
    assert model(x1, x2).shape == (8, 3)
    loss = model.loss(x1, x2, torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_additive_models_are_sums_of_unimodal_functions():
    # f(a, c) + f(b, d) == f(a, d) + f(b, c) holds exactly for logits g1(x1) + g2(x2)
    # and fails for a model with cross terms.
    a, b = _inputs(((6,), (6,)), n=4)
    c, d = _inputs(((5,), (5,)), n=4, seed=1)
    for name, additive in (("ADDITIVE", True), ("AGREE", True), ("TENSOR", False)):
        torch.manual_seed(0)
        f = build_model(name, *VECTOR, n_classes=2, hidden=8).eval()
        with torch.no_grad():
            gap = (f(a, c) + f(b, d) - f(a, d) - f(b, c)).abs().max().item()
        assert (gap < 1e-5) == additive, name


def _fused(name):
    """The model with its head replaced by the identity, and the encoders' outputs."""
    torch.manual_seed(0)
    model = build_model(name, *VECTOR, n_classes=2, hidden=5)
    model.head = nn.Identity()
    x1, x2 = _inputs(VECTOR)
    with torch.no_grad():
        z1, z2 = model.encode(x1, x2)
        return model, model(x1, x2), z1, z2


def test_tensor_fusion_is_the_outer_product_with_ones():
    model, z_mm, z1, z2 = _fused("TENSOR")
    with torch.no_grad():
        p1 = torch.relu(model.project1(z1))
        p2 = torch.relu(model.project2(z2))
    for n in range(len(z1)):
        u = torch.cat([p1[n], torch.ones(1)])
        v = torch.cat([p2[n], torch.ones(1)])
        torch.testing.assert_close(z_mm[n], torch.outer(u, v).flatten())


def test_multiplicative_interactions_formula():
    model, z_mm, z1, z2 = _fused("MI")
    w = model.bilinear.weight  # (out, in1, in2)
    expected = (
        torch.einsum("ni,kij,nj->nk", z1, w, z2)
        + model.bilinear.bias
        + z1 @ model.linear1.weight.T
        + z2 @ model.linear2.weight.T
    )
    torch.testing.assert_close(z_mm, torch.relu(expected).detach())


def test_low_rank_tensor_equals_full_tensor_with_summed_factors():
    # sum_r (A_r u) * (B_r v) is the tensor fusion z_k = sum_ij u_i v_j W_kij
    # with W = sum_r A_r (x) B_r.
    model, z_mm, z1, z2 = _fused("LOWER")
    h, rank = model.hidden, model.rank
    a = model.factor1.weight.detach().view(rank, h, h + 1)
    b = model.factor2.weight.detach().view(rank, h, h + 1)
    w = torch.einsum("rki,rkj->kij", a, b)
    u = torch.cat([z1, torch.ones(len(z1), 1)], dim=1)
    v = torch.cat([z2, torch.ones(len(z2), 1)], dim=1)
    torch.testing.assert_close(z_mm, torch.einsum("ni,kij,nj->nk", u, w, v))


def test_elementwise_gates():
    model, z_mm, z1, z2 = _fused("ELEM")
    expected = torch.cat(
        [z1 * torch.sigmoid(model.gate2(z2)), z2 * torch.sigmoid(model.gate1(z1))], dim=1
    )
    torch.testing.assert_close(z_mm, expected.detach())


def test_auxiliary_objectives():
    torch.manual_seed(0)
    x1, x2 = _inputs(VECTOR, n=16)
    agree = build_model("AGREE", *VECTOR, n_classes=3, hidden=8)
    out = agree.outputs(x1, x2)
    g1, g2 = out["g1"].detach().numpy(), out["g2"].detach().numpy()
    corr = np.mean([np.corrcoef(g1[:, c], g2[:, c])[0, 1] for c in range(3)])
    assert agree.auxiliary(out, x1, x2).item() == pytest.approx(1 - corr, abs=1e-5)
    out = {**out, "g2": out["g1"]}
    assert agree.auxiliary(out, x1, x2).item() == pytest.approx(0.0, abs=1e-5)  # float32

    align = build_model("ALIGN", *VECTOR, n_classes=3, hidden=8)
    out = align.outputs(x1, x2)
    cos = torch.nn.functional.cosine_similarity
    z_mm = out["z_mm"]
    expected = (
        2 - cos(z_mm, align.project1(out["z1"])) - cos(z_mm, align.project2(out["z2"]))
    ).mean()
    assert align.auxiliary(out, x1, x2).item() == pytest.approx(expected.item(), abs=1e-6)

    rec = build_model("REC", *VECTOR, n_classes=3, hidden=8)
    out = rec.outputs(x1, x2)
    r1 = rec.decoder1(torch.cat([out["z1"], out["z_mm"]], dim=1))
    r2 = rec.decoder2(torch.cat([out["z2"], out["z_mm"]], dim=1))
    expected = ((r1 - x1) ** 2).mean() + ((r2 - x2) ** 2).mean()
    assert rec.auxiliary(out, x1, x2).item() == pytest.approx(expected.item(), abs=1e-6)


def test_align_compares_each_sample_with_itself_only():
    # The alignment objective has no negatives: a batch's value is the mean of its samples'
    # values, whatever the other samples are, so it is cosine alignment, not contrastive.
    from pid.models.fusion import Alignment

    torch.manual_seed(0)
    align = build_model("ALIGN", *VECTOR, n_classes=2, hidden=8)
    x1, x2 = _inputs(VECTOR, n=16)
    whole = align.auxiliary(align.outputs(x1, x2), x1, x2)
    single = [
        align.auxiliary(align.outputs(x1[i : i + 1], x2[i : i + 1]), x1[i : i + 1], x2[i : i + 1])
        for i in range(16)
    ]
    assert whole.item() == pytest.approx(torch.stack(single).mean().item(), abs=1e-6)
    assert Alignment.__doc__.startswith(
        "ALIGN: late fusion with a cosine alignment objective (Section 7.4.3)."
    )
    assert "there are no negatives" in Alignment.__doc__


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match=r"model 'FOO' is unknown; choose among EF, ADDITIVE"):
        build_model("foo", *VECTOR, n_classes=2)


def test_a_model_named_twice_is_refused():
    from pid.models import check_model_names
    from pid.models.zoo import train_zoo

    message = "models names the model EF more than once ('EF', 'ef'); name each model once."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_model_names(["EF", "TENSOR", "ef"])
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        train_zoo(*_small_data(), models=["EF", "TENSOR", "ef"], n_clusters=2)
    flagged = "models (--models) names the model MI more than once ('mi', 'Mi', 'MI'); name"
    with pytest.raises(ValueError, match=f"^{re.escape(flagged)}"):
        check_model_names(["mi", "Mi", "MI"], "models (--models)")
    assert check_model_names(["ef", "Tensor"]) == ["EF", "TENSOR"]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        (
            [0, 1.9, 1],
            "modality_groups is [0, 1.9, 1], whose label 1.9 is not a whole number; pass 3 "
            "whole-number group labels using each of 0, ..., k-1.",
        ),
        (
            [True, False, True],
            "modality_groups is [True, False, True], whose label True is not a whole number; "
            "pass 3 whole-number group labels using each of 0, ..., k-1.",
        ),
        (
            [0, 1.0, 1],
            "modality_groups is [0, 1.0, 1], whose label 1.0 is not a whole number; pass 3 "
            "whole-number group labels using each of 0, ..., k-1.",
        ),
    ],
    ids=["fraction", "booleans", "float"],
)
def test_highmmt_refuses_group_labels_that_are_not_whole_numbers(groups, message):
    from pid.models import HighMMT

    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        HighMMT([3, 3, 3], 2, modality_groups=groups)
    pairs = f"interaction_groups is {groups}, whose label"
    with pytest.raises(ValueError, match=f"^{re.escape(pairs)}"):
        HighMMT([3, 3, 3], 2, interaction_groups=groups)
    # Whole numbers of any integer type are labels.
    model = HighMMT([3, 3, 3], 2, modality_groups=np.array([0, 1, 1]))
    assert model.modality_groups == [0, 1, 1]


@pytest.mark.parametrize("widths", [[3, 2.5], [3, True], [3, 0], []])
def test_highmmt_refuses_widths_that_are_not_positive_whole_numbers(widths):
    from pid.models import HighMMT

    message = f"widths is {widths}; pass one positive whole number of features per modality."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        HighMMT(widths, 2)
    assert HighMMT(np.array([3, 2]), 2).widths == (3, 2)


def test_the_best_zoo_model_is_chosen_on_validation_accuracy():
    from pid.models.zoo import ZooResult
    from pid.report.writer import _zoo_caption, zoo_table

    models = {  # EF is the most accurate on the test set, TENSOR and MI on validation
        "EF": {"accuracy": 0.9, "val_accuracy": 0.70},
        "TENSOR": {"accuracy": 0.8, "val_accuracy": 0.75},
        "MI": {"accuracy": 0.6, "val_accuracy": 0.75},
    }
    zoo = ZooResult(None, None, models, {}, np.arange(60), np.arange(2), TrainConfig())
    assert zoo.best() == "TENSOR"  # of the tie on validation, the model trained first
    section = {"models": models, "config": {"seed": 0}, "n_test": 60, "best_model": zoo.best()}
    assert _zoo_caption({**section, "best_chosen_on": "validation"}) == (
        "3 models, each trained once (seed 0), tested on 60 held-out samples; the best on "
        "validation accuracy is TENSOR (0.800 on the test samples). Model PID: the PID of the "
        "model's predictions in place of the labels, on all samples, training rows included; "
        "agreement: thesis Eq. 3.6."
    )
    # The table ranks by test accuracy and says what its shares divide by.
    pids = {"pid": dict.fromkeys(("R", "U1", "U2", "S"), 0.0), "agreement": {"total": 0.0}}
    columns, rows = zoo_table({"models": {k: {**m, **pids} for k, m in models.items()}})
    assert columns[2] == "share of highest"
    assert [row[:3] for row in rows] == [
        ["EF", "0.900", "100.0%"],
        ["TENSOR", "0.800", "88.9%"],
        ["MI", "0.600", "66.7%"],
    ]
    # A report that does not say where its best model was chosen: by test accuracy.
    assert _zoo_caption({**section, "best_model": "EF"}).startswith(
        "3 models, each trained once (seed 0), tested on 60 held-out samples; the best on test "
        "accuracy is EF. Model PID:"
    )


def test_split_indices():
    split = split_indices(100, seed=3)
    assert [len(split[k]) for k in ("train", "val", "test")] == [60, 20, 20]
    joined = np.concatenate(list(split.values()))
    assert sorted(joined.tolist()) == list(range(100))
    assert len(split_indices(MIN_SAMPLES)["val"]) == 4
    with pytest.raises(ValueError, match="holds 19 samples, too few to split"):
        split_indices(MIN_SAMPLES - 1)


def test_split_indices_refuses_fractions_that_leave_no_training_sample():
    # At 20 samples, 0.475 of them round to 10 for validation and 10 for test.
    message = (
        "fractions (0.05, 0.475, 0.475) leave none of the 20 samples (n_samples) for training "
        "once validation and test take 10 and 10 (at least 4 each); give training a larger "
        "fraction, or pass more samples."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        split_indices(20, fractions=(0.05, 0.475, 0.475))
    # 0.98 of 20 rounds to 20 and the test set still gets its 4: more than all the samples.
    with pytest.raises(ValueError, match="validation and test take 20 and 4"):
        split_indices(20, fractions=(0.01, 0.98, 0.01))
    assert [len(v) for v in split_indices(20, fractions=(0.1, 0.45, 0.45)).values()] == [2, 9, 9]


def _small_data(n=40):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2)), rng.normal(size=(n, 2)), np.arange(n) % 2


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["022", "027"])
def test_checkpoint_is_written_as_the_umask_allows(tmp_path, umask):
    x1, x2, y = _small_data()
    config = TrainConfig(hidden=4, max_epochs=1, device="cpu")
    previous = os.umask(umask)
    try:
        train_model("EF", x1, x2, y, split_indices(40), config, checkpoint=tmp_path / "ef.pt")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "ef.pt").stat().st_mode) == 0o666 & ~umask
    assert torch.load(tmp_path / "ef.pt", weights_only=True)["name"] == "EF"


_ENCODE = "encode the labels as class indices with np.unique(y, return_inverse=True)[1]."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"y": np.r_[np.arange(39) % 2, -1]}, f"y holds the label -1, below 0; {_ENCODE}"),
        (
            {"y": np.array(["a", "b"] * 20)},
            f"y holds labels of type <U1, not class indices; {_ENCODE}",
        ),
        (
            {"y": np.r_[np.arange(39) % 2, np.nan]},
            "y holds NaN or infinite labels; drop the samples that have no label.",
        ),
        (
            {"x1": np.r_[np.zeros((39, 2)), [[np.nan, 0.0]]]},
            "x1 holds NaN or infinite values; drop or impute those samples.",
        ),
        (
            {"x2": np.zeros((40, 2), dtype=complex)},
            "x2 holds complex numbers; pass real values (x2.real where the imaginary parts are "
            "zero, or the real and imaginary parts as separate features).",
        ),
        (
            {"x2": np.zeros((30, 2))},
            "x1, x2 and y must have one entry per sample, but their lengths are 40, 30 and 40; "
            "pass arrays of equal length.",
        ),
        (
            {"split": {"train": np.arange(20), "test": np.arange(20, 40)}},
            "split lacks 'val'; pass a dict of 'train', 'val' and 'test' arrays of sample "
            "positions, as split_indices(len(y)) returns.",
        ),
        (
            {"split": {"train": np.arange(20), "val": [], "test": np.arange(20, 40)}},
            "split['val'] is empty; pass the position of one sample there or more.",
        ),
        (
            {"split": {"train": np.arange(20), "val": np.arange(40) >= 30, "test": [20, 21]}},
            "split['val'] has shape (40,) and dtype bool; pass a 1-D array of integer sample "
            "positions (np.flatnonzero(mask) for a boolean mask).",
        ),
        (
            {"split": {"train": np.arange(30), "val": [30, 31], "test": [38, 40]}},
            "split['test'] holds the position 40, outside the 40 samples; pass positions from 0 "
            "to 39.",
        ),
    ],
    ids=[
        "negative",
        "text",
        "nan",
        "nan-x1",
        "complex-x2",
        "short-x2",
        "no-val",
        "empty-val",
        "mask",
        "outside",
    ],
)
def test_train_model_refuses_bad_input_in_one_sentence(change, message):
    x1, x2, y = _small_data()
    data = {"x1": x1, "x2": x2, "y": y, "split": split_indices(40), **change}
    config = TrainConfig(hidden=4, max_epochs=1, device="cpu")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        train_model("EF", data["x1"], data["x2"], data["y"], data["split"], config)


def test_fit_model_refuses_an_empty_training_split_and_labels_beyond_the_model():
    x1, x2, y = _small_data()
    config = TrainConfig(hidden=4, max_epochs=1, device="cpu")
    model = build_model("EF", (2,), (2,), n_classes=2, hidden=4)
    split = {"train": np.array([], dtype=np.int64), "val": np.arange(20), "test": np.arange(20, 40)}
    with pytest.raises(ValueError, match=r"^split\['train'\] is empty; pass the position of one"):
        fit_model(model, [x1, x2], y, split, config)
    with pytest.raises(ValueError, match=r"^inputs\[0\], inputs\[1\] and y must have one entry"):
        fit_model(model, [x1, x2[:30]], y, split_indices(40), config)
    message = (
        f"y holds the label 2, but the model tells 2 classes apart; build it with n_classes of "
        f"at least 3, or {_ENCODE}"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        fit_model(model, [x1, x2], np.arange(40) % 3, split_indices(40), config)


def test_training_learns_repeats_and_checkpoints(tmp_path):
    rng = np.random.default_rng(0)
    x1 = rng.normal(size=(300, 4)).astype(np.float32)
    x2 = rng.normal(size=(300, 3)).astype(np.float32)
    y = (x1[:, 0] + x2[:, 1] > 0).astype(np.int64)
    split = split_indices(300, seed=0)
    config = TrainConfig(hidden=8, batch_size=32, max_epochs=15, patience=3, device="cpu")
    first = train_model("ADDITIVE", x1, x2, y, split, config, checkpoint=tmp_path / "a.pt")
    second = train_model("ADDITIVE", x1, x2, y, split, config)
    assert first.accuracy > 0.9
    assert first.accuracy == np.mean(first.predictions == y[split["test"]])
    np.testing.assert_array_equal(first.predictions, second.predictions)
    test = split["test"]
    again = first.predict(x1[test], x2[test], batch_size=7)  # in batches, standardized again
    np.testing.assert_array_equal(again, first.predictions)
    assert 1 <= first.best_epoch <= first.epochs <= 15
    saved = torch.load(tmp_path / "a.pt", weights_only=True)
    model = build_model(saved["name"], *saved["shapes"], saved["n_classes"], hidden=8)
    model.load_state_dict(saved["state_dict"])
    (m1, s1), (m2, s2) = saved["scaling"]
    with torch.no_grad():
        logits = model(
            torch.tensor((x1[test] - np.array(m1)) / np.array(s1), dtype=torch.float32),
            torch.tensor((x2[test] - np.array(m2)) / np.array(s2), dtype=torch.float32),
        )
    np.testing.assert_array_equal(logits.argmax(1).numpy(), first.predictions)


def test_train_config_is_checked():
    with pytest.raises(ValueError, match="patience must be a positive integer"):
        TrainConfig(patience=0)


@pytest.mark.parametrize("seed", [-1, 2**32, 2**64])
def test_train_config_refuses_a_seed_numpy_cannot_take(seed):
    message = f"seed (--seed) is {seed}; pass a whole number from 0 to 4294967295."
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        TrainConfig(seed=seed)


def test_zoo_refuses_seeds_running_past_the_last_one_numpy_takes():
    from pid.models import zoo

    x1, x2, y = _small_data()
    config = TrainConfig(hidden=4, max_epochs=1, seed=2**32 - 1, device="cpu")
    message = (
        "seed + n_seeds - 1 (--seed + --seeds - 1) is 4294967296; pass a whole number from 0 to "
        "4294967295."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        zoo.train_zoo(x1, x2, y, models=["EF"], config=config, n_seeds=2, n_clusters=2)
    assert zoo.run_seeds(2**32 - 3, 3) == (2**32 - 3, 2**32 - 2, 2**32 - 1)


def test_mixture_with_one_channel_is_the_specialized_dataset():
    # A single channel's weight does not change the sign of the score.
    for term in ("R", "U1", "U2", "S"):
        got = generative_mixture({term: 3.0}, 200, seed=4, structure_seed=2)
        want = generative(term, 200, seed=4, structure_seed=2)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)


def test_mixture_label_is_the_weighted_sign():
    # With a huge U1 weight the label follows the U1 channel wherever that one is not tiny.
    _, _, y = generative_mixture({"U1": 1e6, "S": 1.0}, 500, seed=1)
    _, _, y_u1 = generative("U1", 500, seed=1)
    assert np.mean(y == y_u1) > 0.99
    with pytest.raises(ValueError, match=r"unknown interaction\(s\) \['Q'\]"):
        generative_mixture({"Q": 1.0}, 10)
    with pytest.raises(ValueError, match="at least one positive"):
        generative_mixture({"R": 0.0}, 10)


def test_zoo_trains_on_sequences():
    from pid.models.zoo import train_zoo

    rng = np.random.default_rng(0)
    x1 = rng.normal(size=(80, 5, 3))
    x2 = rng.normal(size=(80, 4, 2))
    y = (x1[:, -1, 0] > 0).astype(int)
    config = TrainConfig(hidden=8, max_epochs=2, device="cpu")
    zoo = train_zoo(x1, x2, y, models=["EF", "MULT"], config=config, n_clusters=3)
    assert set(zoo.models) == {"EF", "MULT"}
    for name, result in zoo.models.items():
        assert result["accuracy"] == np.mean(zoo.predictions[name] == y[zoo.test_index])
        assert result["epochs"] <= 2
