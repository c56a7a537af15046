"""Mood screens (PHQ-9, PHQ-2) as FHIR R4 QuestionnaireResponse.

Each item is answered with its LOINC answer code (LL358-3: 0 "Not at all" ... 3
"Nearly every day") and the total score is given as its own integer item, so a
reader needs no scoring logic to see the number the rules used.

``author`` names who recorded the screen (the clinic, or the patient); a screen the
patient filled in also names them as ``source``, the person who answered.
"""

from __future__ import annotations

from typing import Any

from isocourse.fhir.codes import LOINC, MOOD_PANEL, PHQ9_ITEM_LOINC, PHQ_ANSWER
from isocourse.fhir.ids import Addressing, keyed
from isocourse.fhir.recorders import Recorders, label
from isocourse.record import MoodScreen

Resource = dict[str, Any]


def questionnaire_responses(
    screens: tuple[MoodScreen, ...], at: Addressing, recorders: Recorders
) -> list[Resource]:
    return [
        _recorded(_response(screen, key, at), screen, recorders)
        for key, screen in keyed(screens, lambda s: f"mood|{s.instrument}|{s.date}")
    ]


def _recorded(resource: Resource, screen: MoodScreen, recorders: Recorders) -> Resource:
    author = recorders.reference(screen.source)
    if author is not None:
        resource["author"] = author
    if screen.source == "patient":
        resource["source"] = recorders.at.patient_reference
    return label(resource, screen.source)


def _response(screen: MoodScreen, key: str, at: Addressing) -> Resource:
    panel, title, total_code = MOOD_PANEL[screen.instrument]
    items = [_item(PHQ9_ITEM_LOINC[index], score) for index, score in enumerate(screen.items)]
    items.append(
        {
            "linkId": total_code,
            "text": f"{title}: total score",
            "answer": [{"valueInteger": screen.total}],
        }
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": at.resource_id("QuestionnaireResponse", key),
        # The LOINC-derived Questionnaire's canonical URL (loinc.org/q/<panel>).
        "questionnaire": f"http://loinc.org/q/{panel}",
        "status": "completed",
        "subject": at.patient_reference,
        "authored": screen.date.isoformat(),
        "item": items,
    }


def _item(loinc_code: str, score: int) -> dict[str, Any]:
    answer_code, display = PHQ_ANSWER[score]
    return {
        "linkId": loinc_code,
        "answer": [{"valueCoding": {"system": LOINC, "code": answer_code, "display": display}}],
    }
