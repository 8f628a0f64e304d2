"""The fusion zoo: model PIDs, agreement against accuracy, and model selection on new data.

Reads the reference bank (the packaged one, or ``--bank FILE``) and prints

1. the thesis's Table 3.4 on the four specialized datasets: each model's R on D_R, U on D_U1
   and D_U2 (mean of U1 and U2), S on D_S, and its accuracy on each;
2. the correlation of total agreement alpha(f, D) (Eq. 3.6) with accuracy over every
   (model, dataset) pair, on the ten Table 3.2 datasets and on the whole bank;
3. model selection (Section 3.3.4) on datasets that are not in the bank: mixtures with random
   interaction weights and other structure seeds, and two tasks from scikit-learn's digits.
   For each, ``pid compute``'s analysis gives the report, ``pid select`` the top 3 (three
   neighbours weighted by distance), and the whole zoo is trained on it to find the best
   model. Targets: the first recommendation at least 95% of the best accuracy, the best of
   the top 3 at least 98%.

    python benchmarks/zoo_selection.py [--bank FILE] [--new 8] [--samples 3000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _machine import describe
from scipy.stats import pearsonr, spearmanr

from pid.datasets import GENERATIVE, generative_mixture
from pid.models import MODELS
from pid.models.zoo import train_zoo
from pid.selection import load_reference, select
from pid.workflows import analyze


def table_3_4(bank: dict) -> None:
    # The first draw of each of the specialized recipes.
    data = {}
    for entry in bank["datasets"]:
        data.setdefault(entry["recipe"].get("dataset"), entry["models"])
    rows = {
        "R": [data["R"][m]["pid"]["R"] for m in MODELS],
        "Acc(D_R)": [data["R"][m]["accuracy"] for m in MODELS],
        "U": [(data["U1"][m]["pid"]["U1"] + data["U2"][m]["pid"]["U2"]) / 2 for m in MODELS],
        "Acc(D_U)": [(data["U1"][m]["accuracy"] + data["U2"][m]["accuracy"]) / 2 for m in MODELS],
        "S": [data["S"][m]["pid"]["S"] for m in MODELS],
        "Acc(D_S)": [data["S"][m]["accuracy"] for m in MODELS],
    }
    print("\n## Model PID on the specialized datasets (thesis Table 3.4), bits\n")
    print("| | " + " | ".join(MODELS) + " | mean +- sd |")
    print("|---" * (len(MODELS) + 2) + "|")
    for label, values in rows.items():
        cells = " | ".join(f"{v:.2f}" for v in values)
        print(f"| {label} | {cells} | {np.mean(values):.2f} +- {np.std(values):.2f} |")
    s = dict(zip(MODELS, rows["S"], strict=True))
    synergy = ("TENSOR", "MI", "MULT", "LOWER")
    print(
        f"\nS captured on D_S: synergy models {', '.join(f'{m} {s[m]:.3f}' for m in synergy)}; "
        f"ADDITIVE {s['ADDITIVE']:.3f}, AGREE {s['AGREE']:.3f}; every synergy model above both: "
        f"{min(s[m] for m in synergy) > max(s['ADDITIVE'], s['AGREE'])}"
    )


def agreement_correlation(bank: dict) -> None:
    """Pooled correlations over (model, dataset) pairs, and the mean within-dataset one."""
    print("\n## Agreement against accuracy\n")
    print(
        "| datasets | pairs | Pearson rho | Spearman rho | mean within-dataset Pearson rho | "
        "Pearson rho, model PID total vs accuracy |"
    )
    print("|---|---|---|---|---|---|")
    for label, keep in (
        ("Table 3.2", lambda d: d["recipe"].get("dataset") in GENERATIVE),
        ("whole bank", lambda d: True),
    ):
        alpha, accuracy, total, within = [], [], [], []
        for entry in filter(keep, bank["datasets"]):
            results = list(entry["models"].values())
            a = [r["agreement"]["total"] for r in results]
            acc = [r["accuracy"] for r in results]
            alpha += a
            accuracy += acc
            total += [sum(r["pid"].values()) for r in results]
            within.append(pearsonr(a, acc)[0])
        print(
            f"| {label} ({len(within)}) | {len(alpha)} | {pearsonr(alpha, accuracy)[0]:.2f} | "
            f"{spearmanr(alpha, accuracy)[0]:.2f} | {np.mean(within):.2f} | "
            f"{pearsonr(total, accuracy)[0]:.2f} |"
        )


def new_datasets(n_new: int, n_samples: int) -> list[tuple[str, tuple]]:
    """Mixtures with Dirichlet weights and structure seeds 1..n_new, and two digits tasks."""
    from sklearn.datasets import load_digits

    rng = np.random.default_rng(2024)
    out = []
    for k in range(1, n_new + 1):
        weights = dict(zip(("R", "U1", "U2", "S"), rng.dirichlet(np.ones(4)), strict=True))
        name = "mix " + " ".join(f"{t}{w:.2f}" for t, w in weights.items())
        data = generative_mixture(weights, n_samples, seed=100 + k, structure_seed=k)
        out.append((f"{name} (structure {k})", data))
    digits = load_digits()
    images, target = digits.images, digits.target
    n = len(images)
    halves = (images[:, :, :4].reshape(n, -1), images[:, :, 4:].reshape(n, -1), target)
    top_bottom = (images[:, :4].reshape(n, -1), images[:, 4:].reshape(n, -1), target % 2)
    out.append(("digits: left/right halves, digit (10 classes)", halves))
    out.append(("digits: top/bottom halves, parity", top_bottom))
    return out


def selection(bank: dict, n_new: int, n_samples: int) -> None:
    print("\n## Model selection on datasets not in the bank\n")
    print(
        "| dataset | normalized PID (R/U1/U2/S) | nearest | top 3 | best model (test acc) | "
        "first / best | best of top 3 / best | mean of all 10 / best | worst of all 10 (model) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    firsts, tops = [], []
    for name, (x1, x2, y) in new_datasets(n_new, n_samples):
        _, report = analyze(x1, x2, y)
        chosen = select(report, bank=bank)
        zoo = train_zoo(x1, x2, y)
        acc = {m: r["accuracy"] for m, r in zoo.models.items()}
        # The highest test accuracy of the ten, which a recommendation is measured against
        # (ZooResult.best chooses on validation, and another model can test higher).
        best = max(acc, key=acc.get)
        worst = min(acc, key=acc.get)
        top = [r.model for r in chosen.recommendations]
        shares = [acc[m] / acc[best] for m in top]
        firsts.append(shares[0])
        tops.append(max(shares))
        normalized = "/".join(f"{chosen.shares[t]:.2f}" for t in ("R", "U1", "U2", "S"))
        print(
            f"| {name} | {normalized} | {chosen.neighbors[0][0]} | {', '.join(top)} | "
            f"{best} ({acc[best]:.3f}) | {shares[0]:.1%} | {max(shares):.1%} | "
            f"{np.mean(list(acc.values())) / acc[best]:.1%} | "
            f"{acc[worst] / acc[best]:.1%} ({worst}) |",
            flush=True,
        )
    print(
        f"\nfirst recommendation >= 95% of the best on {sum(r >= 0.95 for r in firsts)} of "
        f"{len(firsts)} datasets (lowest {min(firsts):.1%}); best of top 3 >= 98% on "
        f"{sum(r >= 0.98 for r in tops)} (lowest {min(tops):.1%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", type=Path, help="reference bank (default: the packaged one)")
    parser.add_argument("--new", type=int, default=8, help="new synthetic datasets (default 8)")
    parser.add_argument("--samples", type=int, default=3000, help="samples a synthetic dataset")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"machine: {describe()}, torch {torch.__version__} ({torch.get_num_threads()} thread)")
    bank = load_reference(args.bank)
    timing = bank["timing"]
    print(
        f"bank: {len(bank['datasets'])} datasets x {len(bank['settings']['models'])} models, "
        f"{bank['settings']['n_samples']} samples each, built in {timing['seconds'] / 60:.1f} min "
        f"on {timing['device']}"
    )
    table_3_4(bank)
    agreement_correlation(bank)
    start = time.perf_counter()
    selection(bank, args.new, args.samples)
    print(f"\nselection benchmark: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
