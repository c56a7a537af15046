"""Knowledge types for the symptom catalogue (plain words, synonyms, negation).

PLACEHOLDER: the owner of this concern replaces this module (keep the class name).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SymptomCatalogue:
    source: str
