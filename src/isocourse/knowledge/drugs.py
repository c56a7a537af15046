"""Knowledge types for interacting drugs (classes, generic and brand names, severity per programme).

PLACEHOLDER: the owner of this concern replaces this module (keep the class name).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DrugCatalogue:
    source: str
