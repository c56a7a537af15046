"""Read and validate the packaged knowledge files: the door where clinical data enters.

This is an edge, like the course-record parser: it reads files and uses pydantic to
validate them into the core's own frozen dataclasses. The rules never import it;
they are handed the :class:`Knowledge` it returns.

``load_knowledge()`` reads the packaged files; ``load_knowledge(root)`` reads a folder laid
out like the package (``labs.toml``, ``alerts/`` ...), validated the same way: a test adds
a programme or a lab threshold to a copy of the knowledge this way, with data files only.

Errors::

    KnowledgeError            a knowledge file is missing, malformed or inconsistent
"""

from __future__ import annotations

import dataclasses
import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from isocourse.knowledge.alerts import AlertDefinition
from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.references import source_problems, source_texts

_PACKAGE = "isocourse.knowledge"


class KnowledgeError(Exception):
    """A knowledge file is missing, malformed or inconsistent: refuse to start."""


class _SelfChecking(Protocol):
    def problems(self, knowledge: Knowledge) -> list[str]: ...


def load_knowledge(root: Path | None = None) -> Knowledge:
    """Load every knowledge file once and return the validated, frozen whole: the
    packaged files, or those of the folder ``root``."""
    return _load(None if root is None else Path(root).resolve())


@cache
def _load(folder: Path | None) -> Knowledge:
    root: Traversable = resources.files(_PACKAGE) if folder is None else folder
    if not root.is_dir():
        raise KnowledgeError(f"knowledge folder missing: {root}")
    parts: dict[str, Any] = {"alerts": _load_alerts(root.joinpath("alerts"))}
    for part in dataclasses.fields(Knowledge):
        if part.name == "alerts":
            continue
        part_type = _part_type(part.name)
        parts[part.name] = _validate(root.joinpath(f"{part.name}.toml"), part_type)
    knowledge = Knowledge(**parts)
    problems = _cross_check(knowledge)
    if problems:
        raise KnowledgeError("knowledge is inconsistent:\n  " + "\n  ".join(problems))
    return knowledge


def _part_type(name: str) -> Any:
    hints = _knowledge_hints()
    return hints[name]


@cache
def _knowledge_hints() -> dict[str, Any]:
    import typing

    return typing.get_type_hints(Knowledge)


def _read_toml(file: Traversable) -> dict[str, Any]:
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise KnowledgeError(f"knowledge file missing: {file.name}") from error
    except tomllib.TOMLDecodeError as error:
        raise KnowledgeError(f"knowledge file {file.name} is not valid TOML: {error}") from error


def _validate(file: Traversable, part_type: Any) -> Any:
    raw = _read_toml(file)
    try:
        return TypeAdapter(part_type).validate_python(raw)
    except ValidationError as error:
        raise KnowledgeError(_describe(file.name, error)) from error


def _load_alerts(folder: Traversable) -> dict[str, AlertDefinition]:
    adapter = TypeAdapter(AlertDefinition)
    definitions: dict[str, AlertDefinition] = {}
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".toml"):
            continue
        concern = file.name.removesuffix(".toml")
        for code, fields in _read_toml(file).items():
            if code in definitions:
                raise KnowledgeError(f"alert code {code} is defined twice (alerts/{file.name})")
            try:
                definitions[code] = adapter.validate_python(
                    {**fields, "code": code, "concern": concern}
                )
            except ValidationError as error:
                raise KnowledgeError(_describe(f"alerts/{file.name} [{code}]", error)) from error
    return definitions


def _describe(where: str, error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        path = ".".join(str(part) for part in problem["loc"])
        lines.append(f"{where}: field '{path}': {problem['msg']}")
    return "\n".join(lines)


def _cross_check(knowledge: Knowledge) -> list[str]:
    problems = [
        problem
        for where, text in source_texts(knowledge, "knowledge")
        for problem in source_problems(where, text, knowledge.references)
    ]
    allergies = set(knowledge.conditions.allergies)
    for product_id, product in knowledge.products.products.items():
        for allergen in product.excipient_allergens:
            if allergen not in allergies:
                problems.append(f"products.{product_id}: unknown allergen {allergen!r}")
        if (
            not product.dose_low_mg_per_kg
            < product.dose_high_mg_per_kg
            < product.dose_max_mg_per_kg
        ):
            problems.append(f"products.{product_id}: dose range must rise low < high < maximum")
        if not product.strengths_mg:
            problems.append(f"products.{product_id}: no capsule strengths")
    for condition, entry in knowledge.conditions.conditions.items():
        if entry.alert is not None and entry.alert not in knowledge.alerts:
            problems.append(f"conditions.{condition}: unknown alert code {entry.alert}")
    for code, definition in knowledge.alerts.items():
        if not definition.message.strip() or not definition.title.strip():
            problems.append(f"alerts.{code}: empty title or message")
    for part in dataclasses.fields(knowledge):
        value = getattr(knowledge, part.name)
        if hasattr(value, "problems"):
            checker: _SelfChecking = value
            problems.extend(f"{part.name}: {p}" for p in checker.problems(knowledge))
    return problems
