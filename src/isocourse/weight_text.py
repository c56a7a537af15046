"""Parsing a body weight typed with its unit ("62kg", "136 lb"): the CLI and the web share it."""

from __future__ import annotations

import re

from isocourse.knowledge.model import Knowledge

_WEIGHT = re.compile(r"^\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>kg|lb|lbs)\s*$", re.IGNORECASE)


def weight_kg_from_text(text: str, knowledge: Knowledge) -> float:
    """Kilograms from "62kg" or "136lb"; ValueError naming the field otherwise."""
    match = _WEIGHT.match(text)
    if match is None:
        raise ValueError("weight: a weight with its unit, e.g. 62kg or 136lb")
    value = float(match["value"])
    kg = (
        value * knowledge.course.kg_per_lb.value
        if match["unit"].lower().startswith("lb")
        else value
    )
    if not 0 < kg <= knowledge.course.weight_max_kg.value:
        raise ValueError("weight: not a plausible body weight")
    return kg
