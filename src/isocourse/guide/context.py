"""What the templates see: knowledge values fitted to the options, and the sources.

:func:`build_context` gathers, for one :class:`GuideOptions`, the product, the programme
rule set in force on ``as_of``, the course numbers, labs, medicines, conditions and
symptom words, plus the wording filters. :func:`source_texts` maps every citable label
to its source text: the guide's own ``sources.toml`` and ``facts.toml``, and each
knowledge entry's ``source`` field, so that a footnote quotes the data it rests on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from isocourse.assessment import BLOCKING_SEVERITIES, Severity
from isocourse.guide import wording
from isocourse.guide.catalogue import GuideCatalogue
from isocourse.guide.model import GuideError, GuideOptions
from isocourse.knowledge.drugs import DrugClass
from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.products import Product
from isocourse.knowledge.programmes import CounsellingRule, RuleSet
from isocourse.record import NO_PROGRAMME

_NOT_A_LETTER = re.compile(r"[^a-z]+")


def label(*parts: str) -> str:
    """A footnote label from codes: ``label("drug", "st_johns_wort")`` → ``drug-st-johns-wort``."""
    joined = "-".join(parts).casefold()
    return _NOT_A_LETTER.sub("-", joined).strip("-")


@dataclass(frozen=True)
class Row:
    """One line of a list in a template: its words and the label of its source."""

    text: str
    cite: str
    detail: str = ""


def product_of(knowledge: Knowledge, product_id: str) -> Product:
    product = knowledge.products.products.get(product_id)
    if product is None:
        known = ", ".join(sorted(knowledge.products.products))
        raise GuideError("--product", f"unknown product {product_id!r} (known: {known})")
    return product


def ruleset_of(knowledge: Knowledge, options: GuideOptions) -> RuleSet | None:
    """The programme's rule set in force on ``as_of`` (its first one if none yet)."""
    catalogue = knowledge.programmes
    if not catalogue.is_known(options.programme):
        known = ", ".join(catalogue.choices())
        raise GuideError("--programme", f"unknown programme {options.programme!r} ({known})")
    if options.programme == NO_PROGRAMME:
        return None
    found = catalogue.ruleset_on(options.programme, options.as_of)
    return found if found is not None else catalogue.earliest(options.programme)


def build_context(
    knowledge: Knowledge, catalogue: GuideCatalogue, options: GuideOptions
) -> dict[str, Any]:
    """Every variable and filter the templates use, for these options."""
    product = product_of(knowledge, options.product)
    ruleset = ruleset_of(knowledge, options)
    words = catalogue.index.words
    said = catalogue.index.programmes.get(options.programme)
    entry = knowledge.programmes.programmes.get(options.programme)
    return {
        "options": options,
        "product": product,
        "product_id": options.product,
        "missed_rule": product.missed_dose.rule_for(options.programme),
        "strengths": [wording.num(mg) for mg in product.strengths_mg],
        "target_mg_per_kg": _target_mg_per_kg(knowledge, options),
        "counselling": _counselling(ruleset, options),
        "programme": options.programme,
        "programme_name": entry.name if entry is not None else options.programme,
        "programme_words": said.words if said is not None else options.programme,
        "programme_topics": dict(said.topics) if said is not None else {},
        "category": options.category,
        "may_get_pregnant": options.category != "cannot_get_pregnant",
        "ruleset": ruleset,
        "course": knowledge.course,
        "facts": catalogue.facts,
        "labs": knowledge.labs,
        "monitored_labs": _monitored_labs(knowledge),
        "lab_thresholds": _lab_thresholds(knowledge),
        "contraindications": _conditions(knowledge, options, blocking=True),
        "cautions": _conditions(knowledge, options, blocking=False),
        "allergy_words": _allergy_words(knowledge, product),
        "cross_reactions": _cross_reactions(knowledge, product, options.programme),
        "medicines": _medicines(knowledge, options, catalogue),
        "serious_symptoms": _symptom_rows(knowledge, red_flag=True),
        "common_symptoms": _symptom_rows(knowledge, red_flag=False),
        "contraception": _contraception(knowledge, ruleset, catalogue),
        "personal": options.personal,
        "due_rows": _due_rows(options, catalogue),
        "words": words,
        "setting_words": lambda settings: [words.test_settings.get(s, s) for s in settings],
        **_filters(),
    }


def _filters() -> dict[str, Any]:
    return {
        "num": wording.num,
        "weeks": wording.weeks,
        "duration": wording.duration,
        "every": wording.every,
        "hours": wording.hours,
        "percent": wording.percent,
        "count_word": wording.count_word,
        "listing": wording.listing,
        "day": wording.day,
        "first_upper": wording.first_upper,
    }


def _target_mg_per_kg(knowledge: Knowledge, options: GuideOptions) -> float:
    """The patient's own target when fitted to a record, else the knowledge default."""
    if options.personal is not None:
        return options.personal.target_mg_per_kg
    return knowledge.course.target_mg_per_kg.value


def _counselling(ruleset: RuleSet | None, options: GuideOptions) -> CounsellingRule | None:
    if ruleset is None:
        return None
    if options.category == "cannot_get_pregnant":
        return ruleset.counselling.cannot_get_pregnant
    return ruleset.counselling.can_get_pregnant


def _monitored_labs(knowledge: Knowledge) -> list[str]:
    return [knowledge.labs.by_name(name).label for name in knowledge.labs.schedule.monitored_tests]


def _lab_thresholds(knowledge: Knowledge) -> list[Row]:
    """Each action threshold of the lab knowledge in words (``ALT or AST: severe, above
    5 × ULN (urgent)``), cited by its label ``labs-<alert code>``."""
    catalogue = knowledge.labs
    rows = []
    for code, threshold in catalogue.thresholds.items():
        tests = [catalogue.by_name(name) for name in threshold.tests]
        severity: str = knowledge.alerts[code].severity
        change = threshold.severity_with_symptom
        if change is not None:
            severity += f"; {change.severity} with a {change.symptom} symptom"
        text = (
            f"{wording.listing((t.label for t in tests), last='or')}: {threshold.level}, "
            f"{threshold.words(tests[0].unit)} ({severity})"
        )
        rows.append(Row(text, label("labs", code)))
    return rows


def _severity(
    knowledge: Knowledge, alert: str | None, by_programme: Mapping[str, Severity], programme: str
) -> Severity:
    if programme in by_programme:
        return by_programme[programme]
    definition = knowledge.alerts.get(alert) if alert else None
    return definition.severity if definition is not None else "info"


def _conditions(knowledge: Knowledge, options: GuideOptions, *, blocking: bool) -> list[Row]:
    """Conditions that rule the drug out (``blocking``) or need care, under the programme."""
    rows = []
    for code, entry in knowledge.conditions.conditions.items():
        if code == "pregnant" and options.category == "cannot_get_pregnant":
            continue
        severity = _severity(knowledge, entry.alert, entry.severity_by_programme, options.programme)
        if (severity in BLOCKING_SEVERITIES) == blocking:
            rows.append(Row(entry.label, label("condition", code)))
    return rows


def _allergy_words(knowledge: Knowledge, product: Product) -> dict[str, str]:
    conditions = knowledge.conditions
    allergies = conditions.allergies
    return {
        "drug": wording.listing(
            (allergies[a].label for a in conditions.drug_allergies if a in allergies),
            last="or",
        ),
        "product": wording.listing(
            (allergies[a].label for a in product.excipient_allergens if a in allergies),
            last="or",
        ),
    }


def _cross_reactions(knowledge: Knowledge, product: Product, programme: str) -> list[Row]:
    """Allergies that rule the product out here because of an excipient (peanut: soya oil)."""
    conditions = knowledge.conditions
    reactions = conditions.cross_reactions_for(product.excipient_allergens, programme)
    return [
        Row(f"{conditions.allergies[r.allergy].label}: {r.patient_words}", "cross-reactions")
        for r in reactions
    ]


@dataclass(frozen=True)
class MedicineRow:
    """An interacting class: its names, why it matters, and whether it is ruled out."""

    text: str
    names: str
    reason: str
    avoid: bool
    cite: str


def _medicines(
    knowledge: Knowledge, options: GuideOptions, catalogue: GuideCatalogue
) -> list[MedicineRow]:
    reasons = catalogue.index.words.drug_reasons
    rows = []
    for drug_class in knowledge.drugs.classes:
        about_contraception = _only_about_contraception(drug_class)
        if about_contraception and options.category == "cannot_get_pregnant":
            continue
        severity = _severity(
            knowledge, drug_class.alert, drug_class.severity_by_programme, options.programme
        )
        if about_contraception and drug_class.hormonal_contraception_severity is not None:
            severity = drug_class.hormonal_contraception_severity
        rows.append(
            MedicineRow(
                text=f"{drug_class.label[:1].upper()}{drug_class.label[1:]}",
                names=_ingredient_names(drug_class),
                reason=reasons.get(drug_class.name, reasons["default"]),
                avoid=severity in BLOCKING_SEVERITIES,
                cite=label("drug", drug_class.name),
            )
        )
    return rows


def _only_about_contraception(drug_class: DrugClass) -> bool:
    return drug_class.hormonal_contraception_severity is not None


def _ingredient_names(drug_class: DrugClass) -> str:
    """The class's ingredients not already named by its label."""
    named = _letters(drug_class.label)
    names = [i.name for i in drug_class.ingredients if not named.startswith(_letters(i.name))]
    return wording.listing(names)


def _letters(text: str) -> str:
    """Only the letters, lower case: "St John's wort" and "st johns wort" read the same."""
    return _NOT_A_LETTER.sub("", text.casefold())


def _symptom_rows(knowledge: Knowledge, *, red_flag: bool) -> list[Row]:
    catalogue = knowledge.symptoms
    return [
        Row(advice.words, label("symptom", advice.alert.removeprefix("SYMPTOM_")))
        for advice in catalogue.advice
        if advice.red_flag == red_flag and advice.alert != catalogue.unrecognised_alert
    ]


def _contraception(
    knowledge: Knowledge, ruleset: RuleSet | None, catalogue: GuideCatalogue
) -> dict[str, Any]:
    """The methods that count under the rule set, grouped by tier, in plain words."""
    if ruleset is None:
        return {"tiers": [], "combinations": [], "not_counted": []}
    methods = knowledge.programmes.methods
    scheme = ruleset.contraception
    tiers = [
        Row(
            catalogue.index.words.tiers.get(tier, tier),
            "pp-contraception",
            wording.listing(methods[m].title.lower() for m in codes if m in methods),
        )
        for tier, codes in scheme.tiers.items()
    ]
    not_counted = [
        Row(methods[m].title.lower(), label("method", m))
        for m in scheme.warn_if_listed
        if m in methods
    ]
    return {
        "tiers": tiers,
        "combinations": [c.description for c in scheme.combinations],
        "not_counted": not_counted,
        "lead_days": scheme.lead_days,
    }


def _due_rows(options: GuideOptions, catalogue: GuideCatalogue) -> list[Row]:
    """The assessment's due tasks, as it states them (the dispense window is shown apart)."""
    if options.personal is None:
        return []
    tasks = catalogue.index.words.tasks
    rows = []
    for due in options.personal.due:
        if due.task == "dispense_window_closes":
            continue
        late = " (overdue)" if due.overdue else ""
        text = tasks.get(due.task, due.task.replace("_", " ").capitalize())
        rows.append(Row(text, "assessment", f"{wording.day(due.due)}{late}"))
    return rows


def source_texts(
    knowledge: Knowledge, catalogue: GuideCatalogue, options: GuideOptions
) -> dict[str, str]:
    """Every label a template may cite, with its source text: the sentence, then the
    references it names (``Source: <citation> — <link>``)."""
    product = product_of(knowledge, options.product)
    texts: dict[str, str] = dict(catalogue.sources)
    texts.update({label(name): fact.source for name, fact in catalogue.facts.items()})
    texts.update(_product_sources(product))
    texts.update(_sourced_fields("course", knowledge.course))
    texts.update({label("labs", c): t.source for c, t in knowledge.labs.thresholds.items()})
    texts.update(_sourced_fields("labs", knowledge.labs.schedule))
    texts.update(_knowledge_entry_sources(knowledge))
    ruleset = ruleset_of(knowledge, options)
    if ruleset is not None:
        texts.update(_ruleset_sources(ruleset, options))
    if options.personal is not None:
        checked = wording.day(options.personal.as_of)
        texts["assessment"] = (
            f"Your course record as assessed by isocourse on {checked}; "
            "each date rests on the programme, laboratory and dosing rules cited in this guide"
        )
    # each footnote: what the source says, then its short citations with their links
    return {name: knowledge.references.footnote(text) for name, text in texts.items()}


def _product_sources(product: Product) -> dict[str, str]:
    return {
        "product": product.source,
        "product-strengths": product.strengths_source,
        "product-excipients": product.excipients_source,
        "missed-dose": product.missed_dose.source,
    }


def _sourced_fields(prefix: str, value: object) -> dict[str, str]:
    """``prefix-field`` → source for each field of ``value`` that carries a source."""
    texts: dict[str, str] = {}
    for field in dataclasses.fields(value):  # type: ignore[arg-type]
        child = getattr(value, field.name)
        if isinstance(child, str) and field.name.endswith("source"):
            texts[label(prefix, field.name.removesuffix("_source"))] = child
        elif hasattr(child, "source") and isinstance(child.source, str):
            texts[label(prefix, field.name)] = child.source
    return texts


def _knowledge_entry_sources(knowledge: Knowledge) -> dict[str, str]:
    conditions = knowledge.conditions
    texts = {label("condition", c): e.source for c, e in conditions.conditions.items()}
    texts["drug-allergies"] = conditions.drug_allergies_source
    texts["cross-reactions"] = "; ".join(r.source for r in conditions.cross_reactions)
    texts.update({label("drug", d.name): d.source for d in knowledge.drugs.classes})
    texts["hormonal-contraception"] = knowledge.drugs.hormonal_contraception_source
    texts.update(
        {
            label("symptom", a.alert.removeprefix("SYMPTOM_")): a.source
            for a in knowledge.symptoms.advice
        }
    )
    methods = knowledge.programmes.methods
    texts.update({label("method", code): m.source for code, m in methods.items()})
    return texts


def _ruleset_sources(ruleset: RuleSet, options: GuideOptions) -> dict[str, str]:
    counselling = _counselling(ruleset, options)
    assert counselling is not None
    texts = {
        "pp-rules": ruleset.source,
        "pp-tests": ruleset.pregnancy_tests.source,
        "pp-window": ruleset.dispense_window.source,
        "pp-contraception": ruleset.contraception.source,
        "pp-counselling": counselling.source,
        "pp-cannot-get-pregnant": ruleset.cannot_get_pregnant.source,
        "pp-supply": ruleset.supply.source,
        "pp-post-course": ruleset.post_course.source,
    }
    optional = {
        "pp-confirmation": ruleset.confirmation,
        "pp-mental-health": ruleset.mental_health_assessment,
        "pp-second-prescriber": ruleset.second_prescriber,
    }
    texts.update({name: part.source for name, part in optional.items() if part is not None})
    return texts
