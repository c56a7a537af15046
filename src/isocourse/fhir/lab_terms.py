"""Lab tests in FHIR terms: which LOINC code and UCUM unit stand for a recorded result.

The lab knowledge (``knowledge.labs``) names each test, its LOINC codes, its canonical
unit and the units it converts from. A test may carry codes for different properties
(triglycerides: 2571-8 mass/volume, 35217-9 moles/volume), so the code must agree with
the unit: a result in a molar unit takes the test's molar code; where the knowledge has
no molar code for the test, the value is exported in the canonical (mass) unit, which
the test's mass code describes. Used by the FHIR export and import and the CSV import.
"""

from __future__ import annotations

from dataclasses import dataclass

from isocourse.knowledge.labs import LabTest, unit_key
from isocourse.knowledge.model import Knowledge

# LOINC codes whose property is a substance (molar) concentration (references loinc,
# hl7-fhir-triglyceride, nl-lab-formulary-triglyceride and loinc-96258-9 in
# knowledge/references.toml): 35217-9 Triglyceride [moles/volume] in Serum/Plasma
# (hl7.org/fhir/R4B/triglyceride.html); 14927-8, the triglyceride code of labs reporting
# mmol/L; 96258-9 LDL cholesterol [Moles/volume] calculated by Martin-Hopkins. Every other
# LOINC code of knowledge/labs.toml is a mass or enzyme-activity concentration.
MOLAR_LOINC = frozenset({"35217-9", "14927-8", "96258-9"})
# Codes that name a method (LDL calculated by Martin-Hopkins): read on import, never
# chosen for a result whose method isocourse does not know (the export names the
# generic code, or the one the result was recorded under).
METHOD_LOINC = frozenset({"96258-9", "96259-7"})

# UCUM codes for the unit spellings labs use, keyed by folded spelling (UCUM,
# https://ucum.org/ucum: "[IU]" is the international unit, "u" the micro prefix, case matters).
_UCUM_BY_SPELLING = {
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "g/l": "g/L",
    "u/l": "U/L",
    "iu/l": "[IU]/L",
    "[iu]/l": "[IU]/L",
    "ukat/l": "ukat/L",
}


def resolve_test(knowledge: Knowledge, name_or_loinc: str) -> str | None:
    """The test's short name for a short name or LOINC code, or None if unknown."""
    test = knowledge.labs.resolve(name_or_loinc)
    return None if test is None else test.name


def unit_fits(knowledge: Knowledge, test_name: str, unit: str) -> bool:
    test = knowledge.labs.resolve(test_name)
    return test is not None and test.factor_for(unit) is not None


def is_molar(unit: str) -> bool:
    return "mol" in unit_key(unit)


def ucum_code(unit: str) -> str | None:
    """The UCUM code for a lab unit spelling (``mg/dl`` → ``mg/dL``), or None if not known."""
    return _UCUM_BY_SPELLING.get(unit_key(unit))


@dataclass(frozen=True)
class LabCoding:
    """How one result is written in FHIR: the code, and the value and unit it goes with."""

    test_name: str
    display: str
    loinc: str | None
    value: float
    unit: str
    ucum: str | None  # None: the recorded unit is not one isocourse can code
    factor: float  # multiply a value in the recorded unit by this to get it in ``unit``


def lab_coding(knowledge: Knowledge, test: str, value: float, unit: str) -> LabCoding:
    """The LOINC code, value and UCUM unit for one recorded result."""
    found = knowledge.labs.resolve(test)
    if found is None:
        raise ValueError(f"unknown lab test {test!r}")
    molar = is_molar(unit)
    code = _code_for(found, test, molar)
    if code is not None or not molar or found.factor_for(unit) is None:
        return LabCoding(found.name, found.label, code, value, unit, ucum_code(unit), 1.0)
    factor = found.factor_for(unit)
    assert factor is not None  # the unit fits (checked above)
    mass_code = _code_for(found, test, molar=False)
    return LabCoding(
        found.name,
        found.label,
        mass_code,
        value * factor,
        found.unit,
        ucum_code(found.unit),
        factor,
    )


def _code_for(test: LabTest, recorded_as: str, molar: bool) -> str | None:
    """The LOINC code matching the unit's property; the recorded code itself when it does."""
    matching = [
        code
        for code in test.loinc
        if (code in MOLAR_LOINC) == molar and (code == recorded_as or code not in METHOD_LOINC)
    ]
    if recorded_as in matching:
        return recorded_as
    return matching[0] if matching else None
