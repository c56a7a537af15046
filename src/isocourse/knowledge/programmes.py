"""Knowledge types for pregnancy-prevention programmes as dated rule sets, and contraception methods.

PLACEHOLDER: the owner of this concern replaces this module (keep the class name).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProgrammeCatalogue:
    source: str
