"""A patient reports how they feel, in their own words: the entry is recorded, and any
red flag the words name is answered at once with what to do now."""

from __future__ import annotations

from dataclasses import dataclass

from isocourse.knowledge.model import Knowledge
from isocourse.rules.symptoms import match_symptom_text
from isocourse.service.context import Call, ClinicSystem
from isocourse.service.recording import RecordedEntry, record_event


@dataclass(frozen=True)
class SymptomReport:
    recorded: RecordedEntry
    #: what to do now, in the catalogue's words for patients, for each red flag named
    red_flags: tuple[str, ...]


def report_symptom(system: ClinicSystem, call: Call, patient_id: str, text: str) -> SymptomReport:
    """Record today's symptom (as :func:`record_event` does, with its checks) and say
    what to do now for each red flag the text names."""
    entry = {"date": call.today.isoformat(), "text": text}
    recorded = record_event(system, call, patient_id, "symptom", entry)
    return SymptomReport(recorded, tuple(red_flag_words(text, system.knowledge)))


def red_flag_words(text: str, knowledge: Knowledge) -> list[str]:
    """What to do now, in the catalogue's patient words, for each red flag the text names."""
    advice = knowledge.symptoms.advice_by_alert
    codes = sorted(match_symptom_text(text, knowledge.symptoms))
    return [advice[code].words for code in codes if code in advice and advice[code].red_flag]
