"""The isotretinoin guide: complete for every fit, sourced, rendered from the knowledge."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from importlib import resources
from typing import Any

import pytest

from isocourse.guide.catalogue import GuideCatalogue, load_guide_catalogue
from isocourse.guide.html import guide_html
from isocourse.guide.model import (
    CATEGORIES,
    GuideError,
    GuideOptions,
    PregnancyCategory,
    guide_options_from_record,
)
from isocourse.guide.readability import grade_level
from isocourse.guide.render import RenderedGuide, applies, render_guide
from isocourse.guide.search import search_guide, search_markdown
from isocourse.guide.sourcing import cited_labels, unsourced_statements
from isocourse.guide.wording import duration, every, listing, num, percent, weeks
from isocourse.knowledge.loader import load_knowledge
from isocourse.knowledge.model import Knowledge
from isocourse.rules import assess
from tests.builders import record

AS_OF = date(2026, 3, 15)
KNOWLEDGE = load_knowledge()
CATALOGUE = load_guide_catalogue()
PRODUCTS = sorted(KNOWLEDGE.products.products)
FAMILIES = sorted({p.family for p in KNOWLEDGE.products.products.values()})
PROGRAMMES = KNOWLEDGE.programmes.choices()
GUIDE_FOLDER = resources.files("isocourse.knowledge").joinpath("guide")
PATIENT_SECTIONS = {
    "about", "how-it-works", "taking-it", "course-length", "common-side-effects",
    "serious-side-effects", "who-should-not-take-it", "medicines-to-avoid", "blood-tests",
    "mood", "faq-alcohol", "faq-missed-dose", "faq-stopping-early", "faq-relapse",
    "faq-long-term",
}  # fmt: skip
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def guide_for(
    product: str = "isotretinoin",
    programme: str = "us-ipledge",
    category: PregnancyCategory = "can_get_pregnant",
    *,
    knowledge: Knowledge = KNOWLEDGE,
    catalogue: GuideCatalogue = CATALOGUE,
    as_of: date = AS_OF,
    **extra: Any,
) -> RenderedGuide:
    options = GuideOptions(product, programme, category, as_of, **extra)
    return render_guide(knowledge, options, catalogue)


def product_of_family(family: str) -> str:
    return next(pid for pid in PRODUCTS if KNOWLEDGE.products.products[pid].family == family)


ALL_FITS = [(p, g, c) for p in PRODUCTS for g in PROGRAMMES for c in CATEGORIES]


# --- complete for every fit ------------------------------------------------------------


@pytest.mark.parametrize(("product", "programme", "category"), ALL_FITS)
def test_guide_renders_every_section_that_applies_for_every_fit(
    product: str, programme: str, category: PregnancyCategory
) -> None:
    rendered = guide_for(product, programme, category)
    options = GuideOptions(product, programme, category, AS_OF)
    entries = [*CATALOGUE.index.sections, *CATALOGUE.index.faq]
    assert rendered.ids() == tuple(e.id for e in entries if applies(e, options))
    assert set(rendered.ids()) >= PATIENT_SECTIONS
    assert all(section.body.strip() for section in rendered.sections)
    assert unsourced_statements(rendered.sections_markdown(), rendered.sources) == []
    assert "{{" not in rendered.markdown() and "{%" not in rendered.markdown()


def test_every_cited_source_is_listed_with_its_text() -> None:
    rendered = guide_for("absorica", "uk-mhra", "can_get_pregnant")
    markdown = rendered.markdown()
    for label in rendered.cited():
        assert f"\n[^{label}]: " in markdown
        assert rendered.sources[label].strip()


def test_each_faq_answer_exists_for_each_programme_and_product_family() -> None:
    questions = {entry.id: entry.title for entry in CATALOGUE.index.faq}
    for family in FAMILIES:
        for programme in PROGRAMMES:
            rendered = guide_for(product_of_family(family), programme, "unknown")
            for faq_id, question in questions.items():
                answer = rendered.section(faq_id)
                assert answer.kind == "faq" and answer.title == question
                assert len(answer.body) > 80, (family, programme, faq_id)
                assert f"### {question}" in rendered.markdown()


# --- missed doses: per product and country ---------------------------------------------

SKIP = "Skip the dose you missed"
WHEN_REMEMBERED = "as soon as you remember"
NEVER_DOUBLE = "Never take a double dose"


@pytest.mark.parametrize(
    ("product", "programme", "advice"),
    [
        ("absorica", "us-ipledge", SKIP),
        ("absorica", "eu-ppp", SKIP),
        ("claravis", "none", SKIP),
        ("isotretinoin", "us-ipledge", SKIP),
        ("isotretinoin", "eu-ppp", WHEN_REMEMBERED),
        ("isotretinoin", "uk-mhra", WHEN_REMEMBERED),
    ],
)
def test_missed_dose_answer_follows_the_product_and_programme(
    product: str, programme: str, advice: str
) -> None:
    answer = guide_for(product, programme).section("faq-missed-dose").body
    other = WHEN_REMEMBERED if advice == SKIP else SKIP
    assert advice in answer and other not in answer
    assert NEVER_DOUBLE in answer


def test_missed_dose_answer_differs_between_a_us_and_an_eu_fit() -> None:
    us = guide_for("isotretinoin", "us-ipledge").section("faq-missed-dose").body
    eu = guide_for("isotretinoin", "eu-ppp").section("faq-missed-dose").body
    assert us != eu
    assert "nearly time for your next dose" in eu and "nearly time" not in us


# --- sources -------------------------------------------------------------------------


def test_checker_finds_a_statement_without_a_source() -> None:
    snippet = "## Heading\n\nTake it with food.[^product]\n\nNever share it.\n\n- Dry lips.\n"
    problems = unsourced_statements(snippet, {"product"})
    assert len(problems) == 2
    assert "Never share it." in problems[0] and "Dry lips." in problems[1]


def test_checker_finds_a_marker_naming_no_known_source() -> None:
    problems = unsourced_statements("Take it with food.[^made-up]\n", {"product"})
    assert problems == ["unknown source [^made-up]: 'Take it with food.[^made-up]'"]


def test_checker_accepts_sourced_statements_and_headings() -> None:
    snippet = "### A question?\n\nAn answer.[^a]\n\n- An item.[^b][^a]\n"
    assert unsourced_statements(snippet, {"a", "b"}) == []
    assert cited_labels(snippet) == ["a", "b"]


def test_an_unsourced_line_in_a_template_fails_the_guide_check() -> None:
    rendered = guide_for()
    broken = dataclasses.replace(rendered.section("about"), body="Isotretinoin cures acne.")
    sections = tuple(broken if s.id == "about" else s for s in rendered.sections)
    markdown = dataclasses.replace(rendered, sections=sections).sections_markdown()
    assert unsourced_statements(markdown, rendered.sources) == [
        "no source: 'Isotretinoin cures acne.'"
    ]


# --- numbers come from the knowledge -----------------------------------------------------

_NUMBER_WORDS = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"hundred|twice|dozen)\b",
    re.IGNORECASE,
)


def template_files() -> dict[str, Any]:
    """Every template under the guide folder, by its path relative to the folder."""
    found = {}
    for entry in GUIDE_FOLDER.iterdir():
        if entry.name.endswith(".j2"):
            found[entry.name] = entry
        elif entry.is_dir() and not entry.name.startswith("__"):
            found |= {
                f"{entry.name}/{f.name}": f for f in entry.iterdir() if f.name.endswith(".j2")
            }
    return found


def test_templates_type_no_number() -> None:
    files = template_files().values()
    assert len(files) >= len(CATALOGUE.index.sections) + len(CATALOGUE.index.faq)
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert not re.search(r"\d", text), f"{file.name} types a digit"
        assert not _NUMBER_WORDS.search(text), f"{file.name} types a number word"


def test_section_titles_type_no_number() -> None:
    for entry in [*CATALOGUE.index.sections, *CATALOGUE.index.faq]:
        assert not re.search(r"\d", entry.title) and not _NUMBER_WORDS.search(entry.title)


def knowledge_numbers(value: object) -> set[str]:
    """Every number in the knowledge (not in its source texts), as the guide could print it."""
    found: set[str] = set()
    if isinstance(value, bool):
        return found
    if isinstance(value, (int, float)):
        return {num(value), weeks(value), num(value / 30), percent(value).rstrip("%")}
    if isinstance(value, str):
        return set(_NUMBER.findall(value))
    if isinstance(value, date):
        return {str(value.day), str(value.year)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        # Sources are quoted in the footnotes, not in the text: their numbers do not count.
        children: list[object] = [
            getattr(value, f.name) for f in fields if not f.name.endswith("source")
        ]
    elif isinstance(value, dict) or hasattr(value, "items"):
        children = [*value.keys(), *value.values()]  # type: ignore[attr-defined]
    elif isinstance(value, (list, tuple)):
        children = list(value)
    else:
        return found
    for child in children:
        found |= knowledge_numbers(child)
    return found


ALLOWED_NUMBERS = (
    knowledge_numbers(KNOWLEDGE)
    | knowledge_numbers({name: fact.value for name, fact in CATALOGUE.facts.items()})
    | knowledge_numbers(AS_OF)
)


def numbers_not_from_knowledge(rendered: RenderedGuide) -> list[tuple[str, str]]:
    found = []
    for section in rendered.sections:
        text = re.sub(r"\[\^[a-z-]+\]", "", section.body)
        found += [(section.id, n) for n in _NUMBER.findall(text) if n not in ALLOWED_NUMBERS]
    return found


@pytest.mark.parametrize("audience", ["patient", "clinician"])
def test_every_number_in_the_guide_is_a_knowledge_number(audience: str) -> None:
    for product, programme, category in ALL_FITS:
        rendered = guide_for(product, programme, category, audience=audience)
        assert numbers_not_from_knowledge(rendered) == [], (product, programme, category)


def test_a_number_typed_into_the_text_is_found() -> None:
    rendered = guide_for()
    typed = dataclasses.replace(rendered.section("about"), body="Wait 45 days.[^product]")
    sections = tuple(typed if s.id == "about" else s for s in rendered.sections)
    assert numbers_not_from_knowledge(dataclasses.replace(rendered, sections=sections)) == [
        ("about", "45")
    ]


def replace_course_number(knowledge: Knowledge, name: str, value: float) -> Knowledge:
    old = getattr(knowledge.course, name)
    course = dataclasses.replace(knowledge.course, **{name: dataclasses.replace(old, value=value)})
    return dataclasses.replace(knowledge, course=course)


def test_course_length_is_rendered_from_the_course_data() -> None:
    before = guide_for().section("course-length").body
    changed = replace_course_number(KNOWLEDGE, "usual_course_days", 154)
    after = guide_for(knowledge=changed).section("course-length").body
    assert f"to {weeks(140)} weeks" in before and f"to {weeks(154)} weeks" in after


def test_second_course_gap_and_stop_early_fraction_are_rendered_from_the_data() -> None:
    changed = replace_course_number(KNOWLEDGE, "second_course_gap_days", 84)
    changed = replace_course_number(changed, "nodule_reduction_fraction", 0.65)
    assert f"at least {weeks(84)} weeks" in guide_for(knowledge=changed).section("faq-relapse").body
    stopping = guide_for(knowledge=changed).section("faq-stopping-early").body
    assert f"more than {percent(0.65)}" in stopping


def test_dispense_window_and_test_days_are_rendered_from_the_programme_rules() -> None:
    programmes = KNOWLEDGE.programmes
    rulesets = tuple(
        dataclasses.replace(
            r,
            dispense_window=dataclasses.replace(r.dispense_window, days=9),
            pregnancy_tests=dataclasses.replace(r.pregnancy_tests, days_before_prescription=4),
        )
        for r in programmes.rulesets
    )
    changed = dataclasses.replace(
        KNOWLEDGE, programmes=dataclasses.replace(programmes, rulesets=rulesets)
    )
    for programme in ("us-ipledge", "eu-ppp"):
        before = guide_for(programme=programme).section("pregnancy-prevention").body
        after = guide_for(programme=programme, knowledge=changed).section("pregnancy-prevention")
        assert f"within {duration(7)}" in before and f"within {duration(9)}" in after.body
        assert f"in the {duration(4)} before it" in after.body


def test_guide_facts_are_rendered_from_the_guide_facts_file() -> None:
    facts = dict(CATALOGUE.facts)
    facts["blood_donation_after"] = dataclasses.replace(facts["blood_donation_after"], value=60)
    changed = dataclasses.replace(CATALOGUE, facts=facts)
    body = guide_for(catalogue=changed).section("taking-it").body
    assert f"for {duration(60)} after your last dose" in body


def test_capsule_strengths_and_lab_schedule_come_from_the_knowledge() -> None:
    product = KNOWLEDGE.products.products["absorica"]
    about = guide_for("absorica").section("about").body
    assert listing(num(mg) for mg in product.strengths_mg) + " mg" in about
    blood = guide_for().section("blood-tests").body
    assert duration(KNOWLEDGE.labs.schedule.peak_check_days.value) in blood
    mood = guide_for().section("mood").body
    assert every(KNOWLEDGE.course.mood_screen_days.value) in mood


# --- pregnancy category -------------------------------------------------------------------


def test_pregnancy_prevention_is_left_out_for_a_patient_who_cannot_get_pregnant() -> None:
    for programme in PROGRAMMES:
        rendered = guide_for(programme=programme, category="cannot_get_pregnant")
        markdown = rendered.sections_markdown()
        assert "pregnancy-prevention" not in rendered.ids()
        assert "birth control" not in markdown.casefold()
        assert "Pregnancy tests" not in markdown
        assert "St John" not in markdown
        assert "Never share your capsules" in markdown
        assert "Do not give blood" in markdown
        assert "programme-steps" in rendered.ids()


def test_a_patient_whose_category_is_unknown_reads_the_pregnancy_rules() -> None:
    rendered = guide_for(programme="eu-ppp", category="unknown")
    body = rendered.section("pregnancy-prevention").body
    assert "for anyone who can get pregnant" in body
    assert "programme-steps" not in rendered.ids()


def test_pregnancy_rules_follow_the_rule_set_in_force_on_the_day() -> None:
    before = guide_for(as_of=date(2026, 3, 15)).section("pregnancy-prevention").body
    after = guide_for(as_of=date(2026, 9, 1)).section("pregnancy-prevention").body
    assert "must wait" in before and "at home" not in before
    assert "straight away" in after and "at home" in after


def test_ipledge_pick_up_window_for_a_patient_who_cannot_get_pregnant() -> None:
    window = KNOWLEDGE.programmes.ruleset_on("us-ipledge", AS_OF)
    assert window is not None and window.cannot_get_pregnant.dispense_window_days is not None
    body = guide_for(category="cannot_get_pregnant").section("programme-steps").body
    assert f"within {duration(window.cannot_get_pregnant.dispense_window_days)}" in body


# --- personalisation from a record --------------------------------------------------------


def test_a_guide_fitted_to_a_record_prints_the_assessment_dates() -> None:
    course = record(
        programme="us-ipledge",
        proposed_prescription={"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60},
    )
    assessment = assess(course, KNOWLEDGE, as_of=course.as_of)
    options = guide_options_from_record(course, assessment)
    assert (options.product, options.programme, options.category) == (
        "isotretinoin",
        "us-ipledge",
        "cannot_get_pregnant",
    )
    rendered = render_guide(KNOWLEDGE, options)
    summary = rendered.section("your-course").body
    assert assessment.dispense.window_closes == date(2026, 4, 13)
    assert "Last day to collect your capsules: **13 April 2026**" in summary
    for due in assessment.due:
        if due.task != "dispense_window_closes":
            assert f"{due.due.day} {due.due:%B %Y}" in summary
    assert unsourced_statements(rendered.sections_markdown(), rendered.sources) == []


def test_a_record_whose_dispense_is_blocked_prints_no_collection_date() -> None:
    course = record(
        programme="us-ipledge",
        **{"patient.can_get_pregnant": True},
        proposed_prescription={"date": "2026-03-15", "days_supply": 30, "mg_per_day": 60},
    )
    assessment = assess(course, KNOWLEDGE, as_of=course.as_of)
    assert not assessment.dispense.allowed
    rendered = render_guide(KNOWLEDGE, guide_options_from_record(course, assessment))
    summary = rendered.section("your-course").body
    assert "Last day to collect" not in summary
    assert "cannot be handed over yet" in summary
    assert "pregnancy-prevention" in rendered.ids()


def test_your_course_is_left_out_without_a_record() -> None:
    assert "your-course" not in guide_for().ids()


# --- audiences, errors, formats, search ---------------------------------------------------


def test_clinician_notes_are_only_in_the_clinician_guide() -> None:
    assert "clinician-notes" not in guide_for().ids()
    notes = guide_for("absorica-ld", audience="clinician").section("clinician-notes").body
    product = KNOWLEDGE.products.products["absorica-ld"]
    assert f"{num(product.dose_low_mg_per_kg)}–{num(product.dose_high_mg_per_kg)} mg/kg" in notes


def test_an_unknown_product_or_programme_names_the_option() -> None:
    with pytest.raises(GuideError) as product:
        guide_for("no-such-product")
    assert product.value.option == "--product"
    with pytest.raises(GuideError) as programme:
        guide_for(programme="mars")  # type: ignore[arg-type]
    assert programme.value.option == "--programme"


def test_medicine_names_are_not_repeated_in_brackets() -> None:
    body = guide_for().section("medicines-to-avoid").body
    assert "**St John's wort**. It can stop" in body
    assert "(including doxycycline," in body


def test_html_numbers_the_sources_and_links_them() -> None:
    rendered = guide_for("absorica", "eu-ppp")
    page = guide_html(rendered)
    assert "[^" not in page
    first = rendered.cited()[0]
    assert f'<a href="#source-{first}" title="source">1</a>' in page
    assert f'<li id="source-{first}">' in page
    assert page.count('<li id="source-') == len(rendered.cited())
    assert "</sup><sup" not in page  # adjacent sources share one superscript: "10, 4"


def test_search_finds_the_alcohol_answer() -> None:
    rendered = guide_for()
    hits = [hit.id for hit in search_guide(rendered, "alcohol")]
    assert "faq-alcohol" in hits and "blood-tests" in hits
    assert "faq-missed-dose" not in hits
    printed = search_markdown(rendered, "Alcohol")
    assert "## Can I drink alcohol?" in printed and "[^alcohol]: " in printed


def test_search_with_no_match_or_no_words_finds_nothing() -> None:
    rendered = guide_for()
    assert search_guide(rendered, "xylophone") == []
    assert search_guide(rendered, "  ") == []
    assert "Nothing in the guide matches" in search_markdown(rendered, "xylophone")


# --- plain language -----------------------------------------------------------------------


def test_patient_sections_read_at_grade_nine_or_below() -> None:
    """Flesch-Kincaid grade ≤ 9 (reading age about 14) for every patient section.

    Text in brackets is left out: it lists medicine names from the knowledge data
    ("including doxycycline, minocycline ..."), which no rewording can shorten.
    """
    for product, programme, category in ALL_FITS:
        for section in guide_for(product, programme, category).sections:
            prose = re.sub(r"\([^)]*\)", "", section.body)
            grade = grade_level(prose)
            assert grade <= 9, (product, programme, category, section.id, round(grade, 1))


def test_grade_level_rises_with_long_words_and_sentences() -> None:
    plain = "Take it with food. Do not share it."
    hard = (
        "Concomitant administration of tetracycline antibiotics is contraindicated because "
        "of idiopathic intracranial hypertension, necessitating immediate discontinuation."
    )
    assert grade_level(plain) < 3 < 9 < grade_level(hard)
    assert grade_level("") == 0.0


def test_every_index_entry_has_its_template_and_every_template_is_listed() -> None:
    listed = {e.template for e in [*CATALOGUE.index.sections, *CATALOGUE.index.faq]}
    assert listed == set(template_files())


def test_every_guide_source_is_cited_by_some_fit() -> None:
    cited: set[str] = set()
    for product, programme, category in ALL_FITS:
        for audience in ("patient", "clinician"):
            cited |= set(guide_for(product, programme, category, audience=audience).cited())
    own = set(CATALOGUE.sources) | {name.replace("_", "-") for name in CATALOGUE.facts}
    assert own - cited == set()
