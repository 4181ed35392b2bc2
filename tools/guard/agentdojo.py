"""AgentDojo 0.1.35 (ETH Zurich, MIT) read as guard data: its injection goals and attack
templates, its suites' documents with each injection slot at its harmless default, and the same
documents with a goal in the slot. Python sources are read with `ast`, never imported."""

from __future__ import annotations

import ast
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from tools.guard.examples import Example

_AGENTDOJO = "agentdojo/"
_AGENTDOJO_ATTACKS = ("baseline_attacks.py", "important_instructions_attacks.py", "dos_attacks.py")
_AGENTDOJO_USERS = ("Emma Johnson", "the user", "Mark Smith")
_AGENTDOJO_TEMPLATES_PER_GOAL = 3


def injections(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """AgentDojo's injection tasks (ETH Zurich, MIT): each goal, a request phrased as an ordinary
    task ("Send the Facebook security code ... to ..."), alone and wrapped in three of its attack templates
    (direct, ignore-previous, system message, InjecAgent's, "important instructions" addressed to
    the model by name, tool knowledge), chosen with a fixed seed; and its denial-of-service
    messages. All are text a tool returns to an agent: passages."""
    goals = sorted(
        {
            goal
            for member in wheel.namelist()
            if member.startswith(_AGENTDOJO + "default_suites/") and member.endswith("/injection_tasks.py")
            for goal in _class_constants(wheel.read(member).decode("utf-8"), "GOAL")
        }
    )
    templates = sorted(
        text
        for name in _AGENTDOJO_ATTACKS
        for text in _string_constants(wheel.read(f"{_AGENTDOJO}attacks/{name}").decode("utf-8"))
        if "{goal}" in text or "{model}" in text
    )
    models_source = ast.parse(wheel.read(_AGENTDOJO + "models.py").decode("utf-8"))
    models = sorted(
        {
            name
            for node in models_source.body
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "MODEL_NAMES"
            for name in ast.literal_eval(node.value).values()
        }
    )
    rng = random.Random(7)  # noqa: S311 - a reproducible pairing, not a secret
    with_goal = [t for t in templates if "{goal}" in t]
    for goal in goals:
        yield Example(goal, True, "agentdojo:goals", kind="passage")
        for template in rng.sample(with_goal, _AGENTDOJO_TEMPLATES_PER_GOAL):
            text = _filled(template, goal, rng.choice(_AGENTDOJO_USERS), rng.choice(models))
            yield Example(text, True, "agentdojo:injections", kind="passage")
    for template in templates:
        if "{goal}" not in template:
            text = _filled(template, "", rng.choice(_AGENTDOJO_USERS), rng.choice(models))
            yield Example(text, True, "agentdojo:injections", kind="passage")


def _filled(template: str, goal: str, user: str, model: str) -> str:
    return template.format(goal=goal, user=user, model=model, task="", tools="").strip()


def _class_constants(source: str, name: str) -> Iterator[str]:
    """The values of class attribute `name` in a module, f-strings resolved with the string
    and number constants of the module and of the class."""
    tree = ast.parse(source)
    module = _constants(tree.body, {})
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            constants = _constants(node.body, module)
            if name in constants:
                yield constants[name]


def _constants(body: list[ast.stmt], outer: dict[str, str]) -> dict[str, str]:
    """`outer` and the names `body` binds to strings, numbers or f-strings of such names."""
    constants = dict(outer)
    for node in body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            text = _resolved(value, constants)
            if text is not None:
                constants[target.id] = text
    return constants


def _resolved(node: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
        return str(node.value)
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.FormattedValue):
        return _resolved(node.value, constants)
    if isinstance(node, ast.JoinedStr):
        parts = [_resolved(value, constants) for value in node.values]
        return None if None in parts else "".join(p for p in parts if p is not None)
    return None


def _string_constants(source: str) -> Iterator[str]:
    """Every string literal of a module (adjacent literals are one) but its docstrings."""
    tree = ast.parse(source)
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.value


_INCLUDE = re.compile(r"!include\s+\S+")
"""AgentDojo's YAML tag for another file of the suite, read on its own here."""
_AGENTDOJO_SUITES = _AGENTDOJO + "data/suites/"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MIN_DOCUMENT_WORDS = 6


def documents(wheel: zipfile.ZipFile) -> Iterator[Example]:
    """The documents of AgentDojo's suites (emails, files, calendar entries, messages, web pages,
    reviews, bills) with each injection slot holding its default, harmless text: documents full
    of ordinary requests to a human reader ("Please pay the amount by sending a bank transfer"),
    benign passages."""
    for _, text, defaults in _suite_files(wheel):
        for value in _strings(yaml.safe_load(_defaults_filled(text, defaults))):
            if len(value.split()) >= _MIN_DOCUMENT_WORDS:
                yield Example(value.strip(), False, "agentdojo:environment", kind="passage")


def _suite_files(wheel: zipfile.ZipFile) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(suite, YAML text, the suite's injection slots and their defaults) of each data file of
    AgentDojo's suites, its includes left out (each included file is read on its own)."""
    for member in sorted(wheel.namelist()):
        if not member.startswith(_AGENTDOJO_SUITES) or not member.endswith(".yaml"):
            continue
        if member.endswith("injection_vectors.yaml"):
            continue
        suite = member[len(_AGENTDOJO_SUITES) :].split("/")[0]
        defaults = {
            name: str(vector["default"])
            for name, vector in yaml.safe_load(
                wheel.read(f"{_AGENTDOJO_SUITES}{suite}/injection_vectors.yaml")
            ).items()
        }
        yield suite, _INCLUDE.sub("null", wheel.read(member).decode("utf-8")), defaults


@dataclass(frozen=True, slots=True)
class InjectedDocument:
    """One AgentDojo document twice: its injection slot at the harmless default, and holding
    one of its suite's injection goals (alone, with no attack template around it)."""

    default: str
    injected: str
    goal: str


_SLOT = "agentdojoslot{}end"
"""A placeholder token YAML keeps as plain text, put in before parsing and filled after."""


def injected_documents(wheel: zipfile.ZipFile) -> Iterator[InjectedDocument]:
    """Each document with a slot, once per goal of its suite in its first slot; any other slot
    holds its default."""
    for suite, text, defaults in _suite_files(wheel):
        goals = _suite_goals(wheel, suite)
        for value in _strings(yaml.safe_load(_slots_marked(text, defaults))):
            slots = [name for name in defaults if _SLOT.format(name) in value]
            if slots:
                default = _slots_filled(value, defaults).strip()
                for goal in goals:
                    injected = _slots_filled(value, {**defaults, slots[0]: goal}).strip()
                    yield InjectedDocument(default, injected, goal)


def _suite_goals(wheel: zipfile.ZipFile, suite: str) -> list[str]:
    return sorted(
        {
            goal
            for member in wheel.namelist()
            if member.startswith(_AGENTDOJO + "default_suites/")
            and member.endswith(f"/{suite}/injection_tasks.py")
            for goal in _class_constants(wheel.read(member).decode("utf-8"), "GOAL")
        }
    )


def _slots_marked(text: str, slots: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: _SLOT.format(m.group(1)) if m.group(1) in slots else m.group(0), text)


def _slots_filled(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(_SLOT.format(name), value)
    return text


def _defaults_filled(text: str, defaults: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: defaults.get(m.group(1), m.group(0)), text)


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
