"""Heterogeneity by transfer (thesis Eqs. 9.1-9.8), low-rank completion, parameter groups,
the source-modality generator and the HighMMT-style model."""

import numpy as np
import pytest

from pid.datasets import source_modalities
from pid.heterogeneity import (
    AdaptiveDesign,
    TransferMatrix,
    check_modalities,
    complete_distances,
    complete_matrix,
    informative_pairs,
    interaction_transfer,
    linkage_tree,
    modality_transfer,
    parameter_groups,
    sample_pairs,
)

SMALL = {"hidden": 16, "batch_size": 64, "max_epochs": 25, "patience": 5, "device": "cpu"}


def test_transfer_and_distance_follow_eqs_9_4_and_9_5():
    direct = np.array([1.0, 2.0, 0.5])
    transferred = np.array(
        [
            [1.0, 2.5, np.nan],
            [1.25, 2.0, np.nan],
            [0.75, 1.5, 0.5],  # 2 -> 1 transfers better than training on 1: T < 0
        ]
    )
    matrix = TransferMatrix(["a", "b", "c"], direct, transferred)
    expected_t = np.array([[0.0, 0.5, np.nan], [0.25, 0.0, np.nan], [-0.25, -0.5, 0.0]])
    np.testing.assert_allclose(matrix.transfer, expected_t)
    d = matrix.distance
    assert d[0, 1] == d[1, 0] == pytest.approx(0.75)  # both directions, positive parts
    assert np.isnan(d[0, 2]) and np.isnan(d[2, 1])  # measured one way only
    np.testing.assert_array_equal(np.diag(d), 0.0)
    record = matrix.to_dict()
    assert record["distance_bits"][0][2] is None and record["transfer_bits"][2][0] == -0.25


def test_same_source_modalities_transfer_and_other_sources_do_not():
    pytest.importorskip("torch")
    from pid.heterogeneity import modality_transfer
    from pid.models import TrainConfig

    xs, y = source_modalities(1500, source_of=(0, 1), widths=(12, 40), seed=4)
    twin = xs[0].copy()
    matrix = modality_transfer(
        {"a": xs[0], "twin": twin, "other": xs[1]}, y, config=TrainConfig(**SMALL)
    )
    assert matrix.names == ["a", "twin", "other"]
    d = matrix.distance
    assert d[0, 1] < 0.05  # identical modalities: d(X; X) = 0 (Eq. 9.5)
    assert d[0, 2] > 0.3 and d[1, 2] > 0.3  # the other source's bit of y does not transfer
    assert matrix.direct[0] == pytest.approx(matrix.direct[1])  # same data, same seed


def test_sample_pairs_covers_every_member_with_o_m_pairs():
    pairs = sample_pairs(12, 24, seed=3)
    assert len(pairs) == len(set(pairs)) == 24
    assert all(0 <= i < j < 12 for i, j in pairs)
    degree = np.bincount(np.ravel(pairs), minlength=12)
    assert degree.min() >= 2  # the random cycle
    assert sample_pairs(12, 24, seed=3) == pairs
    assert len(sample_pairs(5, 10)) == 10  # every pair
    with pytest.raises(ValueError, match="n_pairs is 11; pass between 12"):
        sample_pairs(12, 11)


def _sources_matrix(count: int, seed: int, noise: float = 0.0) -> np.ndarray:
    """Distances of ``count`` members from three sources (member m from source m % 3): near 0
    within a source, 0.85 to 1.2 between two sources (one figure per pair of sources), plus
    ``|N(0, noise)|``; rank 3 without noise."""
    rng = np.random.default_rng(seed)
    source = np.arange(count) % 3
    centre = rng.uniform(0.85, 1.2, (3, 3))
    centre = np.triu(centre, 1) + np.triu(centre, 1).T
    d = np.abs(centre[np.ix_(source, source)] + rng.normal(0.0, noise, (count, count)))
    d = np.triu(d, 1)
    return d + d.T


def _observed(full: np.ndarray, pairs) -> np.ndarray:
    """``full`` on its diagonal and at ``pairs`` (both ways), NaN elsewhere."""
    known = np.eye(len(full), dtype=bool)
    rows, columns = np.array(pairs).T
    known[rows, columns] = known[columns, rows] = True
    return np.where(known, full, np.nan)


def test_informative_pairs_give_a_member_the_source_its_partners_miss():
    full = _sources_matrix(9, seed=0)
    # Every pair measured but member 0's (source 0) with source 2 and with 3 (source 0, which
    # 6 covers), and two within sources: member 0's distance to source 2 rests on no
    # measurement, and a partner from source 2, not member 3, determines it.
    unmeasured = {(0, 2), (0, 3), (0, 5), (0, 8), (1, 4), (3, 6)}
    pairs = [(i, j) for i in range(9) for j in range(i + 1, 9) if (i, j) not in unmeasured]
    observed = _observed(full, pairs)
    first = informative_pairs(observed, np.int64(1))
    assert len(first) == 1 and first[0][0] == 0 and first[0][1] % 3 == 2
    three = informative_pairs(observed, 3)
    assert three[0] == first[0] and len(set(three)) == 3 and set(three) <= unmeasured
    assert informative_pairs(observed.copy(), 3) == three  # deterministic
    with pytest.raises(ValueError, match="n_pairs is 7; pass between 0 and 6"):
        informative_pairs(observed, 7)
    observed[1, 1] = np.nan
    with pytest.raises(ValueError, match="distance has NaN on its diagonal; pass 0 there"):
        informative_pairs(observed, 1)
    observed[1, 1], observed[2, 0] = 0.0, 1.0
    with pytest.raises(ValueError, match=r"measured at \(2, 0\) but not at \(0, 2\)"):
        informative_pairs(observed, 1)


def test_informative_pairs_first_give_every_member_rank_entries():
    observed = _observed(_sources_matrix(6, seed=1), [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)])
    # Members 0 and 5 have two known entries each (with the diagonal), fewer than rank 3: the
    # pair of the two gives both a third, and only it comes back; the next call, with it
    # measured, chooses the rest.
    assert informative_pairs(observed, 4) == [(0, 5)]
    assert informative_pairs(observed, 0) == []


def test_transfer_measures_each_round_that_more_pairs_returns():
    pytest.importorskip("torch")
    from pid.models import TrainConfig

    xs, y = source_modalities(600, source_of=(0, 0, 1, 1), widths=(8, 12, 8, 12), seed=2)
    config = TrainConfig(**{**SMALL, "max_epochs": 5})
    seen: list[np.ndarray] = []

    def more_pairs(distance: np.ndarray) -> list[tuple[int, int]]:
        """(2, 3) on the first call, nothing after; each call's measured entries in seen."""
        seen.append(~np.isnan(distance))
        return [] if seen[-1][2, 3] else [(2, 3)]

    rounds = modality_transfer(xs, y, pairs=[(0, 1)], more_pairs=more_pairs, config=config)
    assert len(seen) == 2
    assert seen[0][0, 1] and not seen[0][2, 3] and seen[1][2, 3]  # each round sees the last
    once = modality_transfer(xs, y, pairs=[(0, 1), (2, 3)], config=config)
    np.testing.assert_array_equal(rounds.transferred, once.transferred)
    assert np.isnan(rounds.distance[0, 2]) and np.isfinite(rounds.distance[2, 3])
    seen.clear()
    later = modality_transfer(xs, y, pairs=[], more_pairs=more_pairs, config=config)
    assert len(seen) == 2 and not seen[0].any(axis=None, where=~np.eye(4, dtype=bool))
    assert np.isfinite(later.distance[2, 3]) and np.isnan(later.distance[0, 1])
    with pytest.raises(ValueError, match=r"more_pairs returned \(1, 0\), already measured"):
        modality_transfer(xs, y, pairs=[(0, 1)], more_pairs=lambda d: [(1, 0)], config=config)
    with pytest.raises(ValueError, match="pairs holds a pair twice"):
        modality_transfer(xs, y, pairs=[(0, 1)], more_pairs=lambda d: [(2, 3), (3, 2)])


@pytest.mark.parametrize("adaptive", [True, False])
def test_measure_heterogeneity_measures_the_designed_pairs(adaptive):
    pytest.importorskip("torch")
    from pid.heterogeneity import measure_heterogeneity
    from pid.models import TrainConfig

    xs, y = source_modalities(400, source_of=(0, 0, 1, 1, 2), widths=(8,) * 5, seed=3)
    config = TrainConfig(**{**SMALL, "max_epochs": 5})
    result = measure_heterogeneity(
        xs,
        y,
        modality_groups=3,
        interactions=adaptive,  # the ten modality pairs' matrix too, in the rounds
        pairs_per_member=1.2,
        adaptive=adaptive,
        config=config,
        sample_seed=4,
    )
    distance = result.modality.distance
    measured = {(i, j) for i in range(5) for j in range(i + 1, 5) if np.isfinite(distance[i, j])}
    assert result.settings["adaptive"] is adaptive
    assert np.isfinite(result.modality_distance).all()  # completed
    if not adaptive:
        assert result.settings["measured_pairs"] == {"modality": 6}
        assert measured == set(sample_pairs(5, 6, seed=4))
        return
    assert result.settings["measured_pairs"] == {"modality": 6, "interaction": 12}
    # A cycle through the five, then the one pair chosen from what it measured.
    design = AdaptiveDesign(5, 6, seed=4)
    first = design.first()
    assert len(first) == 5
    assert measured == set(first) | set(design.next(_observed(distance, first)))
    pair_distance = result.interaction.distance
    assert np.isfinite(pair_distance[np.triu_indices(10, 1)]).sum() == 12
    assert np.isfinite(result.interaction_distance).all()


def test_measure_heterogeneity_measures_every_pair_for_a_huge_pairs_per_member():
    pytest.importorskip("torch")
    from pid.heterogeneity import measure_heterogeneity
    from pid.models import TrainConfig

    xs, y = source_modalities(200, source_of=(0, 0, 1), widths=(8,) * 3, seed=0)
    config = TrainConfig(**{**SMALL, "max_epochs": 1})
    result = measure_heterogeneity(
        xs, y, modality_groups=2, interactions=False, pairs_per_member=1e308, config=config
    )
    assert result.settings["measured_pairs"] == {"modality": 3}  # 1e308 * 3 overflows to inf
    assert np.isfinite(result.modality.distance).all()


def test_adaptive_rounds_complete_better_than_random_pairs():
    # Ten members of three sources with measurement noise, 3 pairs per member (30 of 45):
    # random pairs sometimes leave a member with too few partners in some source.
    full = _sources_matrix(10, seed=0, noise=0.03)
    errors = {"random": [], "adaptive": []}
    for seed in range(8):
        design = AdaptiveDesign(10, 30, seed=seed)
        pairs = design.first()
        assert len(pairs) == 15 and pairs == sample_pairs(10, 15, seed=seed)
        while more := design.next(_observed(full, pairs)):
            assert len(more) <= 3 and not set(more) & set(pairs)
            pairs += more
        assert len(pairs) == 30
        for kind, measured in (("random", sample_pairs(10, 30, seed=seed)), ("adaptive", pairs)):
            completed = complete_distances(_observed(full, measured), 3)
            errors[kind].append(np.linalg.norm(completed - full) / np.linalg.norm(full))
    assert max(errors["adaptive"]) < 0.05  # 0.021 to 0.033
    assert max(errors["random"]) > 0.1  # 0.132 at seed 6
    assert np.mean(errors["adaptive"]) < np.mean(errors["random"])
    with pytest.raises(ValueError, match="n_pairs is 9; pass between 10"):
        AdaptiveDesign(10, 9)
    with pytest.raises(ValueError, match="rank is 0; pass a whole number of at least 1"):
        AdaptiveDesign(10, 30, rank=0)


@pytest.mark.parametrize(("count", "rank", "per_member"), [(40, 2, 4), (30, 3, 5)])
def test_completion_recovers_an_exactly_low_rank_matrix_from_o_m_entries(count, rank, per_member):
    rng = np.random.default_rng(count)
    factors = rng.normal(size=(count, rank))
    full = factors @ np.diag(np.r_[1.0, -np.ones(rank - 1)]) @ factors.T  # indefinite, like d
    observed = np.full_like(full, np.nan)
    np.fill_diagonal(observed, np.diag(full))
    pairs = sample_pairs(count, per_member * count, seed=1)
    for i, j in pairs:
        observed[i, j] = observed[j, i] = full[i, j]
    assert len(pairs) < count * (count - 1) / 4  # well under half of the pairs
    completed = complete_matrix(observed, rank)
    assert np.linalg.norm(completed - full) / np.linalg.norm(full) < 1e-6
    known = ~np.isnan(observed)
    np.testing.assert_allclose(completed[known], full[known], atol=1e-9)


def test_bounds_hold_the_missing_entries_and_leave_a_truth_inside_them_recovered():
    rng = np.random.default_rng(30)
    factors = rng.normal(size=(30, 3))
    full = factors @ np.diag([1.0, -1.0, -1.0]) @ factors.T
    observed = np.full_like(full, np.nan)
    np.fill_diagonal(observed, np.diag(full))
    for i, j in sample_pairs(30, 150, seed=1):
        observed[i, j] = observed[j, i] = full[i, j]
    known = ~np.isnan(observed)
    inside = complete_matrix(observed, 3, bounds=(full.min(), full.max()))
    assert np.linalg.norm(inside - full) / np.linalg.norm(full) < 1e-6
    # The largest missing entry of this matrix (5.48) lies above every measured one (4.56):
    # within the measured range it is held at the top, the known entries kept as given.
    low, high = observed[known].min(), observed[known].max()
    assert full[~known].max() > high
    held = complete_matrix(observed, 3, bounds=(low, high))
    assert held.min() >= low and held.max() <= high
    assert np.isclose(held[~known].max(), high)
    np.testing.assert_array_equal(held[known], observed[known])
    with pytest.raises(ValueError, match=r"bounds is \(1.0, 0.0\); pass \(low, high\)"):
        complete_matrix(observed, 3, bounds=(1.0, 0.0))


@pytest.mark.parametrize(("count", "rank"), [(5, 4), (8, 3), (8, 4), (10, 3), (10, 5)])
def test_a_design_knows_before_measuring_whether_it_determines_every_member(count, rank):
    from pid.heterogeneity.completion import fewest_known

    needed = min(rank, count - 1)
    verdicts = set()
    # From one pair a member to two beyond ceil(count * needed / 2): past the fewest pairs that
    # can give every member `needed` known entries (its own among them), so the verdict turns
    # inside this range (at 8, 12 and 21 pairs where needed > 3); more pairs only cost time.
    for n_pairs in range(count, min(count * (count - 1) // 2, -(-count * needed // 2) + 2) + 1):
        for seed in range(3):
            design = AdaptiveDesign(count, n_pairs, rank, seed)
            pairs = design.first()
            while more := design.next(_observed(_sources_matrix(count, seed), pairs)):
                pairs += more
            member, known = fewest_known(count, pairs)
            predicted = design.fewest_known()
            assert (predicted[1] >= needed) == (known >= needed)
            if known < needed:  # every pair spent before the member got its partners
                assert predicted == (member, known) and len(pairs) == n_pairs
            verdicts.add(known >= needed)
    # The first round's cycle gives every member 2 partners: enough up to rank 3.
    assert verdicts == ({True} if needed <= 3 else {True, False})
    assert fewest_known(4, [(0, 1), (1, 2), (2, 3), (0, 3), (1, 3)]) == (0, 3)


def test_completion_refuses_an_asymmetric_matrix():
    observed = np.full((4, 4), np.nan)
    np.fill_diagonal(observed, 0.0)
    for i, j in sample_pairs(4, 5, seed=0):
        observed[i, j] = observed[j, i] = 1.0 + i + j
    lopsided = observed.copy()
    lopsided[1, 0] = np.nan if np.isfinite(lopsided[0, 1]) else 2.0
    with pytest.raises(ValueError, match=r"matrix is known at \(0, 1\) but not at \(1, 0\)"):
        complete_matrix(lopsided, 2)
    unequal = observed.copy()
    i, j = (int(k) for k in np.argwhere(np.isfinite(observed) & ~np.eye(4, dtype=bool))[0])
    unequal[i, j] += 0.5
    with pytest.raises(ValueError, match=rf"at \({i}, {j}\) and .* pass a symmetric matrix"):
        complete_matrix(unequal, 2)
    completed = complete_matrix(observed, 2)
    known = np.isfinite(observed)
    np.testing.assert_array_equal(completed[known], observed[known])
    np.testing.assert_array_equal(completed, completed.T)


def test_completion_refuses_rows_with_fewer_entries_than_the_rank():
    observed = np.full((4, 4), np.nan)
    np.fill_diagonal(observed, 0.0)
    observed[0, 1] = observed[1, 0] = 1.0
    with pytest.raises(ValueError, match="row 2 has 1 known entries, fewer than rank 2"):
        complete_matrix(observed, 2)
    with pytest.raises(ValueError, match="rank is 5; pass a whole number from 1 to 4"):
        complete_matrix(np.zeros((4, 4)), 5)


def test_clustering_recovers_planted_groups():
    rng = np.random.default_rng(0)
    planted = np.array([0, 0, 1, 2, 1, 0, 2, 2, 1])
    d = np.where(planted[:, None] == planted[None, :], 0.1, 1.0) + rng.uniform(0, 0.2, (9, 9))
    np.fill_diagonal(d, 0.0)
    np.testing.assert_array_equal(parameter_groups(d, 3), planted)
    np.testing.assert_array_equal(parameter_groups(d, 1), np.zeros(9))
    np.testing.assert_array_equal(parameter_groups(d, 9, method="complete"), np.arange(9))
    assert linkage_tree(d).shape == (8, 4)
    d[0, 3] = np.nan
    with pytest.raises(ValueError, match="distance holds NaN entries"):
        parameter_groups(d, 3)
    with pytest.raises(ValueError, match="k is 10; pass a whole number from 1 to 9"):
        parameter_groups(np.zeros((9, 9)), 10)


def test_source_modalities_are_built_as_documented():
    xs, y = source_modalities(400, source_of=(1, 0, 1), widths=(8, 64, 16), seed=2)
    assert [x.shape for x in xs] == [(400, 8), (400, 64), (400, 16)]
    assert all(x.dtype == np.float32 for x in xs)
    assert set(np.unique(y)) <= set(range(4))
    bits = np.stack([(y >> k) & 1 for k in range(2)])
    assert np.all(np.abs(bits.mean(axis=1) - 0.5) < 0.1)  # balanced bits
    again, y_again = source_modalities(400, source_of=(1, 0, 1), widths=(8, 64, 16), seed=2)
    np.testing.assert_array_equal(y, y_again)
    np.testing.assert_array_equal(xs[1], again[1])
    # One source seen through two invertible maps: the same information, so without noise a
    # flexible regression of one modality on the other is nearly exact, and on another
    # source's modality it fails.
    xs, _ = source_modalities(3000, source_of=(0, 0, 1), widths=(8, 8, 8), noise=0.0, seed=1)
    features = np.c_[xs[0], np.tanh(xs[0]), xs[0] ** 3, np.ones(3000)]
    for target, fits in ((xs[1], True), (xs[2], False)):
        coef = np.linalg.lstsq(features, target, rcond=None)[0]
        explained = 1 - np.var(target - features @ coef) / np.var(target)
        assert (explained > 0.9) == fits
    with pytest.raises(ValueError, match="widths holds 4, below source_dim 8"):
        source_modalities(10, source_of=(0, 1), widths=(4, 8))


def _model(groups, pair_groups, widths=(6, 20, 9, 12)):
    from pid.models.highmmt import HighMMT

    return HighMMT(widths, 3, hidden=8, modality_groups=groups, interaction_groups=pair_groups)


def test_highmmt_shares_parameters_by_group():
    torch = pytest.importorskip("torch")
    none, grouped, shared = (
        _model("none", "none"),
        _model([0, 0, 1, 1], [0, 1, 1, 1, 1, 2]),
        _model("all", "all"),
    )
    encoder = 2 * (8 * 8 + 8)  # two layers 8 -> 8
    fusion = 16 * 8 + 8  # [u + v, u * v] -> 8
    base = sum(w * 8 + 8 for w in (6, 20, 9, 12)) + (6 * 8 * 8 + 8) + (8 * 3 + 3)
    assert none.n_parameters == base + 4 * encoder + 6 * fusion
    assert grouped.n_parameters == base + 2 * encoder + 3 * fusion
    assert shared.n_parameters == base + encoder + fusion
    assert shared.n_parameters < grouped.n_parameters < none.n_parameters
    assert grouped.encoders[grouped.modality_groups[1]] is grouped.encoders[0]
    x = [torch.randn(5, w) for w in (6, 20, 9, 12)]
    assert grouped(*x).shape == (5, 3)
    u, v = torch.randn(5, 8), torch.randn(5, 8)
    torch.testing.assert_close(grouped.fusions[0](u, v), grouped.fusions[0](v, u))
    with pytest.raises(ValueError, match="modality_groups is \\[0, 2, 2, 2\\]; pass 4 group"):
        _model([0, 2, 2, 2], "none")


def test_highmmt_trains_with_the_package_loop_and_transfers():
    torch = pytest.importorskip("torch")
    from pid.models import TrainConfig, split_indices
    from pid.models.highmmt import HighMMT
    from pid.models.trainer import fit_model

    xs, y = source_modalities(1200, source_of=(0, 0, 1), widths=(8, 24, 16), seed=0)
    split = split_indices(1200, seed=0)
    config = TrainConfig(**SMALL)
    torch.manual_seed(0)
    model = HighMMT([8, 24, 16], 4, 16, modality_groups=[0, 0, 1], interaction_groups="all")
    trained = fit_model(model, xs, y, split, config)
    assert trained.accuracy > 0.5  # 4 classes; chance is 0.25
    assert trained.test_loss_bits < 1.6  # against log2(4) = 2 bits knowing nothing
    np.testing.assert_array_equal(
        trained.predict(*(x[split["test"]] for x in xs)), trained.predictions
    )
    # Transfer: the target starts from the source's shared weights and, frozen, keeps them.
    torch.manual_seed(0)
    source = HighMMT([8], 4, 16)
    fit_model(source, [xs[0]], y, split, config)
    target = HighMMT([24], 4, 16)
    target.load_shared(source, freeze=True)
    before = {k: v.clone() for k, v in target.state_dict().items()}
    fit_model(target, [xs[1]], y, split, config)
    after = target.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in source.shared_state())
    assert not torch.equal(before["projections.0.weight"], after["projections.0.weight"])
    with pytest.raises(ValueError, match="the source model has another layout"):
        HighMMT([24, 8], 4, 16).load_shared(source, freeze=True)
    with pytest.raises(ValueError, match="the source model has another layout"):
        HighMMT([24], 4, 8).load_shared(source, freeze=True)  # another hidden width


def test_measure_heterogeneity_refuses_before_training(monkeypatch):
    pytest.importorskip("torch")
    from pid.heterogeneity import measure, measure_heterogeneity

    def trained(*args, **kwargs):
        raise AssertionError("a model was trained before the refusal")

    monkeypatch.setattr(measure, "modality_transfer", trained)
    xs, y = source_modalities(300, source_of=(0, 0, 1, 1, 2), widths=(8,) * 5, seed=0)
    refusals = [
        (
            {"rank": 5, "pairs_per_member": 1, "interactions": False},
            r"rank is 5 \(4 for 5 members\), but 5 measured pairs of the modality matrix leave "
            "x1 with 2 measured partners, where the completion needs 3",
        ),
        (
            {"rank": 4, "pairs_per_member": 1, "adaptive": False},
            "rank is 4, but 5 measured pairs of the modality matrix leave",
        ),
        (
            {"rank": 9, "pairs_per_member": 3},  # the modalities' 10 pairs are all measured
            r"rank is 9, but 30 measured pairs of the interaction matrix leave x\d\+x\d with",
        ),
        ({"pairs_per_member": float("inf")}, "pairs_per_member is inf; pass a finite number"),
        ({"rank": 0}, r"rank \(--rank\) is 0; pass a whole number of at least 1"),
        ({"modality_groups": 6}, r"modality_groups \(--groups\) is 6; pass a whole number from"),
    ]
    for settings, message in refusals:
        with pytest.raises(ValueError, match=message):
            measure_heterogeneity(xs, y, **{"modality_groups": 2, **settings})
    # A continuous target is no labels: each value would be a class of one sample.
    target = y + np.random.default_rng(0).random(len(y))
    with pytest.raises(ValueError, match="a continuous target, not class labels"):
        measure_heterogeneity(xs, target, modality_groups=2)


def test_measure_heterogeneity_refuses_interaction_groups_where_no_pairs_are_measured():
    from pid.heterogeneity import measure_heterogeneity

    xs, y = source_modalities(60, source_of=(0, 0, 1), widths=(8, 8, 8), seed=0)
    with pytest.raises(
        ValueError,
        match=r"interaction_groups \(--interaction-groups\) is 2, but interactions is False "
        r"\(--no-interactions\), so no modality pairs are measured to group; leave "
        "interaction_groups out.",
    ):
        measure_heterogeneity(xs, y, modality_groups=2, interaction_groups=2, interactions=False)
    with pytest.raises(
        ValueError,
        match=r"is 1, but pairs are grouped among three or more modalities only, and there are 2,",
    ):
        measure_heterogeneity(xs[:2], y, modality_groups=2, interaction_groups=1)


def test_measure_heterogeneity_takes_numpy_integers():
    pytest.importorskip("torch")
    from pid.heterogeneity import measure_heterogeneity
    from pid.models import TrainConfig

    xs, y = source_modalities(300, source_of=(0, 0, 1), widths=(8, 8, 8), seed=0)
    config = TrainConfig(**{**SMALL, "max_epochs": 2})
    plain = measure_heterogeneity(xs, y, modality_groups=2, interactions=False, config=config)
    numpy = measure_heterogeneity(
        xs, y, modality_groups=np.int64(2), rank=np.int32(3), interactions=False, config=config
    )
    np.testing.assert_array_equal(plain.modality_distance, numpy.modality_distance)
    np.testing.assert_array_equal(plain.modality_groups, numpy.modality_groups)
    assert numpy.settings["rank"] == 3 and type(numpy.settings["rank"]) is int


def test_transfer_refuses_bad_members_in_one_sentence():
    xs, y = source_modalities(60, source_of=(0, 0, 1), widths=(8, 8, 8), seed=0)
    refusals = [
        ({"modality_pairs": []}, r"modality_pairs holds 0 pair\(s\); pass at least two pairs"),
        ({"modality_pairs": [(0, 1), (0, 1)]}, "modality_pairs holds a pair twice"),
        ({"modality_pairs": np.array([[0, 1], [0, 5]])}, r"modality_pairs holds \(0, 5\)"),
    ]
    for settings, message in refusals:
        with pytest.raises(ValueError, match=message):
            interaction_transfer(xs, y, **settings)
    with pytest.raises(ValueError, match=r"modality x2 has no features \(shape \(60, 0\)\)"):
        modality_transfer([xs[0], np.zeros((60, 0)), xs[2]], y)
    codes = np.array([None, *range(59)], dtype=object)  # codes with a gap, as read from a file
    with pytest.raises(
        ValueError,
        match=r"modality x2 is missing in some samples \(None, NaN or infinite entries\); drop "
        "or impute those samples.",
    ):
        modality_transfer([xs[0], codes, xs[2]], y)


def test_transfer_refuses_missing_labels_instead_of_making_them_a_class():
    xs, y = source_modalities(60, source_of=(0, 0, 1), widths=(8, 8, 8), seed=0)
    gaps = y.astype(float)
    gaps[[3, 9]] = np.nan
    nones = y.astype(object)
    nones[5] = None
    for labels, count in ((gaps, 2), (nones, 1)):
        with pytest.raises(
            ValueError,
            match=rf"^y is missing \(NaN, infinite or None\) for {count} sample\(s\); drop those "
            "samples, since every model is trained and tested on labeled samples.$",
        ):
            check_modalities(xs, labels)
    text = np.where(y == 1, "yes", "no").astype(object)
    assert check_modalities(xs, text)[2].tolist() == (y == 1).astype(int).tolist()


def test_summary_names_measured_pairs_only_and_counts_the_completed():
    from pid.heterogeneity import Heterogeneity
    from pid.workflows.heterogeneity import summary_lines

    measured = {(0, 1): 0.2, (1, 2): 0.9, (2, 3): 0.5, (3, 4): 0.3, (4, 5): 0.6}
    measured |= {(0, 5): 0.7, (0, 2): 0.8, (1, 4): 0.4, (3, 5): 0.25}
    transferred = np.full((6, 6), np.nan)
    np.fill_diagonal(transferred, 0.0)
    completed = np.full((6, 6), 0.5)
    np.fill_diagonal(completed, 0.0)
    for (i, j), d in measured.items():
        transferred[i, j] = transferred[j, i] = d / 2  # T = d / 2 each way, as L* = 0
        completed[i, j] = completed[j, i] = d
    # The completion clips to [0, largest measured]: an unmeasured pair can land on either end.
    completed[0, 4] = completed[4, 0] = 0.0
    completed[0, 3] = completed[3, 0] = 0.9
    names = [f"x{m + 1}" for m in range(6)]
    result = Heterogeneity(
        names,
        TransferMatrix(names, np.zeros(6), transferred),
        completed,
        np.array([0, 0, 1, 1, 2, 2]),
        None,
        None,
        None,
        {"rank": 2},
    )
    assert summary_lines(result)[1:] == [
        "Closest modalities measured: x1 and x2 (d = 0.200 bits); farthest: x2 and x3 "
        "(d = 0.900 bits).",
        "6 of the 15 distances between modalities were completed at rank 2, not measured.",
    ]


def test_counts_and_ranks_that_are_not_whole_numbers_are_refused_in_one_sentence():
    d = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]])
    observed = _observed(d, [(0, 1), (1, 2)])
    refusals = [
        (lambda: parameter_groups(d, True), "k is True; pass a whole number of at least 1."),
        (lambda: parameter_groups(d, 2.0), "k is 2.0; pass a whole number of at least 1."),
        (lambda: complete_matrix(observed, 2.5), "rank is 2.5; pass a whole number of at least 1."),
        (lambda: complete_distances(observed, 1.5), "rank is 1.5; pass a whole"),
        (lambda: informative_pairs(observed, 1, rank=2.5), "rank is 2.5; pass a whole"),
        (lambda: informative_pairs(observed, 0.5), "n_pairs is 0.5; pass a whole number"),
        (lambda: AdaptiveDesign(6, 7.5), "n_pairs is 7.5; pass a whole number of at least 0."),
        (lambda: AdaptiveDesign(6, 8, rank=True), "rank is True; pass a whole number of"),
        (lambda: sample_pairs(6.0, 8), "count is 6.0; pass a whole number of at least 0."),
    ]
    for call, message in refusals:
        with pytest.raises(ValueError, match=f"^{message.replace('.', '[.]')}"):
            call()
    assert parameter_groups(d, np.int64(2)).tolist() == [0, 0, 1]
    assert AdaptiveDesign(np.int32(6), np.int64(8)).n_pairs == 8
