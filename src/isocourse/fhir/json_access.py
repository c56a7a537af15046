"""Safe reading of untrusted FHIR JSON: each accessor returns None for a missing or ill-typed part.

The importer reads whatever an EHR sends; nothing here raises on odd input.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

_DATE_PREFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:T.*)?", re.DOTALL)


def as_dict(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def field(resource: object, *path: str) -> object:
    """``resource[path[0]][path[1]]...``, or None where a step is missing or not an object."""
    current: object = resource
    for key in path:
        found = as_dict(current)
        if found is None:
            return None
        current = found.get(key)
    return current


def text_at(resource: object, *path: str) -> str | None:
    return as_str(field(resource, *path))


def finite_number(value: object) -> float | None:
    """A JSON number as a finite float (never a bool, a string or an overflowing integer)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def codings(concept: object, system: str | None = None) -> list[tuple[str, str | None]]:
    """(code, system) of each well-formed coding of a CodeableConcept, optionally one system."""
    found = []
    for coding in as_list(field(concept, "coding")):
        code = text_at(coding, "code")
        coding_system = text_at(coding, "system")
        if code is not None and (system is None or coding_system == system):
            found.append((code.strip(), coding_system))
    return found


def calendar_day(text: str | None) -> date | None:
    """The calendar date a FHIR date/dateTime/instant names (as written), or None."""
    if text is None:
        return None
    match = _DATE_PREFIX.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None
