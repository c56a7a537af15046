"""Who is calling: a signed-in user as the use cases see them, with their role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Role = Literal["prescriber", "pharmacist", "patient", "admin"]
ROLES: Final[tuple[Role, ...]] = ("prescriber", "pharmacist", "patient", "admin")


@dataclass(frozen=True)
class Actor:
    user_id: int
    email: str
    role: Role
    clinic_id: str
    patient_id: str | None = None
