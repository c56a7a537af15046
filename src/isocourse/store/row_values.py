"""A stored row and the frozen dataclass a store module hands out, when the two have the
same field names: one copies into the other, nothing is listed by hand."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

T = TypeVar("T")


def row_from(table: type[T], value: Any) -> T:
    """A new row of ``table`` holding ``value``'s fields (a dataclass instance)."""
    return table(**asdict(value))


def value_from(kind: type[T], row: Any) -> T:
    """The dataclass ``kind`` read from ``row``'s attributes of the same names."""
    return kind(**{field.name: getattr(row, field.name) for field in fields(kind)})  # type: ignore[arg-type]
