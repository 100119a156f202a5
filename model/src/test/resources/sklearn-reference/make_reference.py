"""Reference values for the classification metrics, class weights and weighted cross-entropy of the model library.

Writes metrics.json beside this script: every input and what scikit-learn / PyTorch compute from it, as the paper's
code (aryopg/clinical_peft) calls them. Runs outside the product: `python3 make_reference.py` (see README.md).
"""

import itertools
import json
import os
import sys

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from sklearn.utils.class_weight import compute_class_weight

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics.json")
rng = np.random.default_rng(20261206)


def dirichlet_rows(n, k):
    return rng.dirichlet(np.ones(k), size=n)


def ovo_by_pairs(y, probs, present):
    """Hand & Till by hand: for each pair of present classes, the mean of the two binary AUROCs on the pair's rows."""
    pair_scores = []
    for a, b in itertools.combinations(present, 2):
        rows = (y == a) | (y == b)
        auc_a = roc_auc_score(y[rows] == a, probs[rows, a])
        auc_b = roc_auc_score(y[rows] == b, probs[rows, b])
        pair_scores.append((auc_a + auc_b) / 2)
    return float(np.mean(pair_scores))


def ovo_case(name, y, probs, note):
    k = probs.shape[1]
    present = sorted(set(int(c) for c in y))
    by_pairs = ovo_by_pairs(y, probs, present)
    if len(present) == k:
        expected = float(roc_auc_score(y, probs, multi_class="ovo", average="macro"))
        ovr = float(roc_auc_score(y, probs, multi_class="ovr", average="macro"))
        how = 'roc_auc_score(y, probs, multi_class="ovo", average="macro")'
    else:
        # Without labels= scikit-learn refuses a class missing from y; the expected value is the mean over the pairs
        # of present classes, computed above pair by pair with the binary roc_auc_score.
        expected = by_pairs
        ovr = None
        how = "mean over pairs of present classes of the binary roc_auc_score pair by pair (by hand in this script)"
        with_labels = roc_auc_score(y, probs, multi_class="ovo", average="macro", labels=list(range(k)))
        assert abs(with_labels - expected) < 1e-12, (with_labels, expected)
    assert abs(by_pairs - expected) < 1e-12, (by_pairs, expected)
    return {
        "name": name,
        "note": note,
        "how": how,
        "classes": [int(c) for c in y],
        "probs": probs.tolist(),
        "classes_present": len(present),
        "ovo_macro_auroc": expected,
        "ovr_macro_auroc": ovr,
    }


def ovo_cases():
    cases = []
    y = rng.integers(0, 4, size=40)
    p = dirichlet_rows(40, 4)
    p[np.arange(40), y] += 0.3  # some signal, rows renormalised below
    p /= p.sum(axis=1, keepdims=True)
    cases.append(ovo_case("four_classes", y, p, "40 rows, 4 classes, Dirichlet rows nudged towards the true class"))

    prototypes = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5], [0.4, 0.4, 0.2]])
    y = rng.integers(0, 3, size=30)
    pick = np.where(rng.random(30) < 0.6, np.minimum(y, 3), rng.integers(0, 4, size=30))
    cases.append(ovo_case("ties", y, prototypes[pick], "30 rows drawn from 4 probability vectors: many tied scores"))

    y = np.concatenate([np.zeros(12, int), np.ones(9, int), np.full(6, 2), np.full(3, 3), [4]])
    rng.shuffle(y)
    p = dirichlet_rows(len(y), 5)
    p[np.arange(len(y)), y] += 0.2
    p /= p.sum(axis=1, keepdims=True)
    cases.append(ovo_case("imbalanced_five", y, p, "31 rows, 5 classes, the last with a single row (LOS-like)"))

    y = rng.choice([0, 1, 3], size=24)
    p = dirichlet_rows(24, 4)
    cases.append(ovo_case("missing_class", y, p, "24 rows, 4 columns, class 2 never in the truth"))
    return cases


def class_weight_cases():
    cases = []
    y = np.concatenate([np.zeros(25, int), np.ones(13, int), np.full(9, 2), np.full(3, 3)])
    rng.shuffle(y)
    expected = compute_class_weight("balanced", classes=np.arange(4), y=y)
    counts = np.bincount(y, minlength=4)
    paper = np.array([len(y) / (4 * c) for c in counts])  # set_class_weights of the paper's code
    assert np.allclose(expected, paper, rtol=0, atol=1e-15)
    cases.append({
        "name": "balanced_four",
        "how": 'compute_class_weight("balanced", classes=range(4), y=y)',
        "classes": [int(c) for c in y], "k": 4, "counts": counts.tolist(), "weights": expected.tolist(),
    })
    y = rng.choice([0, 1, 3], size=20, p=[0.6, 0.3, 0.1])
    counts = np.bincount(y, minlength=4)
    # compute_class_weight refuses a class absent from y and the paper's set_class_weights divides by zero: the
    # expected value is n / (k * count) with k = 4 for the present classes, and 0 for the absent one.
    weights = [len(y) / (4 * c) if c else 0.0 for c in counts]
    cases.append({
        "name": "missing_class",
        "how": "n / (k * count) by hand with k = 4, 0 for the absent class (sklearn refuses this input)",
        "classes": [int(c) for c in y], "k": 4, "counts": counts.tolist(), "weights": weights,
    })
    return cases, [np.float32(w) for w in expected], np.array(weights, dtype=np.float32)


def cross_entropy_case(name, logits, labels, weights):
    x = torch.tensor(logits, dtype=torch.float32, requires_grad=True)
    w = None if weights is None else torch.tensor(weights, dtype=torch.float32)
    loss = F.cross_entropy(x, torch.tensor(labels, dtype=torch.long), weight=w)
    loss.backward()
    return {
        "name": name,
        "how": "F.cross_entropy(logits, labels, weight=weights) in float32, and its gradient w.r.t. logits",
        "logits": x.detach().double().tolist(),
        "labels": [int(v) for v in labels],
        "weights": None if weights is None else [float(v) for v in weights],
        "loss": float(loss.item()),
        "grad": x.grad.double().tolist(),
    }


def cross_entropy_cases(balanced, with_zero):
    logits = (rng.standard_normal((8, 4)) * 2).astype(np.float32)
    labels = np.array([0, 0, 0, 1, 1, 2, 3, 0])
    labels_no_two = np.array([0, 0, 1, 3, 1, 0, 3, 0])
    return [
        cross_entropy_case("balanced_weights", logits, labels, np.array(balanced, dtype=np.float32)),
        cross_entropy_case("no_weights", logits, labels, None),
        cross_entropy_case("zero_weight_class_absent", logits, labels_no_two, with_zero),
    ]


def skip_uniform_macro_auroc(truth, scores):
    """The paper's roc_auc_skip_uniform: the mean binary AUROC over the labels whose truth has both values."""
    kept = [j for j in range(truth.shape[1]) if len(set(truth[:, j])) > 1]
    return float(np.mean([roc_auc_score(truth[:, j], scores[:, j]) for j in kept])), len(kept)


def multilabel_case():
    n, labels = 30, 5
    logits = rng.standard_normal((n, labels)) * 1.5
    truth = (rng.random((n, labels)) < 0.35).astype(int)
    truth[:, 3] = 0  # a label no row has: skipped
    truth[:, 1] |= (logits[:, 1] > 0.5).astype(int)  # some signal
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    sigmoid = 1 / (1 + np.exp(-logits))
    soft, kept = skip_uniform_macro_auroc(truth, softmax)
    sig, kept_sig = skip_uniform_macro_auroc(truth, sigmoid)
    assert kept == kept_sig
    return {
        "how": "roc_auc_skip_uniform (mean roc_auc_score over labels with both classes) on softmax and on sigmoid",
        "logits": logits.tolist(),
        "truth": truth.tolist(),
        "labels_scored": kept,
        "softmax_macro_auroc": soft,
        "sigmoid_macro_auroc": sig,
    }


def main():
    weights_cases, balanced, with_zero = class_weight_cases()
    out = {
        "generated_by": "make_reference.py",
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "torch": torch.__version__,
        },
        "ovo": ovo_cases(),
        "class_weights": weights_cases,
        "cross_entropy": cross_entropy_cases(balanced, with_zero),
        "multilabel_softmax": multilabel_case(),
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
