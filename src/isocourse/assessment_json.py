"""The assessment's JSON form (format ``isocourse.assessment/1``): one writer, one reader.

A single pydantic ``TypeAdapter`` over the core's frozen dataclasses (:class:`Assessment`
and the :class:`Alert`, :class:`Due`, :class:`Check`, :class:`DoseSummary`,
:class:`Cumulative` and :class:`DispenseDecision` it holds) both writes and reads the
form, so every field of those types travels both ways; nothing here lists them one by
one, and a field added to the core is written and read back without a change here.
What the contract adds to the dataclasses' plain form is in this module only:

- ``format`` comes first;
- ``dose.mg_per_day``, ``cumulative.mg`` and ``cumulative.target_mg_per_kg`` print as
  integers when whole (``60``, not ``60.0``);
- an alert's ``since`` and ``subject`` are present only when they are set;
- the checks appear, as ``explain``, only when asked for (``explain=True``); the reader
  takes them back when they are there.

Every door uses it: the API, ``isocourse evaluate``, batch evaluation, and the stored
assessments of ``isocourse reassess`` (:mod:`isocourse.store.latest_assessments`). The clinical
core never imports this module: it would bring pydantic into the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import TypeAdapter

from isocourse.assessment import ASSESSMENT_FORMAT, Assessment

#: the numbers the contract prints as integers when they are whole
_WHOLE_NUMBERS = (("dose", "mg_per_day"), ("cumulative", "mg"), ("cumulative", "target_mg_per_kg"))


@cache
def _adapter() -> TypeAdapter[Assessment]:
    return TypeAdapter(Assessment)


def assessment_to_json(assessment: Assessment, *, explain: bool = False) -> dict[str, Any]:
    """The JSON form of ``assessment`` (dates as ISO strings); ``explain`` adds the checks."""
    body: dict[str, Any] = _adapter().dump_python(
        assessment, mode="json", exclude=None if explain else {"checks"}
    )
    for part, name in _WHOLE_NUMBERS:
        body[part][name] = _whole(body[part][name])
    for alert in body["alerts"]:
        for optional in ("since", "subject"):
            if alert[optional] is None:
                del alert[optional]
    if explain:
        body["explain"] = body.pop("checks")
    return {"format": ASSESSMENT_FORMAT, **body}


def assessment_from_json(document: Mapping[str, Any]) -> Assessment:
    """The assessment a JSON form describes (the inverse of :func:`assessment_to_json`).

    Raises ``ValueError`` (a pydantic ``ValidationError`` is one) when ``document`` is
    not an assessment of this format, has a field of the wrong type, or has a field the
    format does not know: nothing is dropped on the way in either.
    """
    if document.get("format") != ASSESSMENT_FORMAT:
        raise ValueError(f"not an assessment of format {ASSESSMENT_FORMAT!r}")
    body = {key: value for key, value in document.items() if key not in ("format", "explain")}
    if "explain" in document:
        body["checks"] = document["explain"]
    return _adapter().validate_python(body, extra="forbid")


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
