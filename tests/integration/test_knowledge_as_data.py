"""A programme and a lab threshold added with data files only, end to end.

A copy of the packaged knowledge gets a fictional programme ("Ficland", with its own
reference, rule set and guide wording) and a fictional glucose threshold with its alert,
as TOML and nothing else. Loaded from that folder, they are enforced (the record parser
and the rules), charted (the lab chart's lines, the course summary) and documented
(`isocourse rules --format markdown`, `isocourse programmes`, `isocourse schema`, the
guide). No Python file is touched: that is what "programmes and lab thresholds are
data" means.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from isocourse.cli import knowledge_cache
from isocourse.cli.catalogue import CatalogueFormat, catalogue_markdown, rules
from isocourse.cli.programmes import ProgrammesFormat, programmes
from isocourse.cli.schema import SchemaName, schema
from isocourse.formats import json_schema
from isocourse.guide.catalogue import load_guide_catalogue
from isocourse.guide.model import GuideError, GuideOptions
from isocourse.guide.render import render_guide
from isocourse.guide.wording import duration
from isocourse.knowledge.loader import KnowledgeError, load_knowledge
from isocourse.knowledge.model import Knowledge
from isocourse.record import CourseRecord
from isocourse.record_parser import RecordError, course_record_from_json
from isocourse.reports.charts import lab_chart_png
from isocourse.reports.lab_series import lab_series
from isocourse.reports.pdf import course_summary_pdf
from isocourse.rules import assess
from tests.builders import BASE, record_json
from tests.unit.programme_records import eu, proposed, specimen

AS_OF = date(2026, 3, 15)
PROGRAMME = "ficland-ppp"
ALERT = "LAB_GLUCOSE_FICTIONAL_HIGH"

REFERENCE = """
[references.ficland-ppp-2027]
issuer = "Ficland Medicines Agency (fictional)"
title = "Ficland pregnancy prevention programme: a fictional document for a test"
citation = "Ficland PPP (fictional)"
date = "2027"
kind = "programme"
confidence = "low"
url_missing = "Fictional: it exists only in a test."
note = "A made-up programme and threshold, to show that both are data."
"""

PROGRAMME_TOML = """
[programmes.ficland-ppp]
name = "Ficland PPP"
title = "Ficland Pregnancy Prevention Programme (fictional)"
source = "A fictional programme [ficland-ppp-2027]"

[programmes.ficland-ppp.categories]
can_get_pregnant = "persons able to conceive"
cannot_get_pregnant = "persons unable to conceive"
source = "Fictional category names [ficland-ppp-2027 §1]"

[[rulesets]]
id = "ficland-ppp-2020-01-01"
programme = "ficland-ppp"
title = "Ficland programme, first edition (fictional)"
effective_from = 2020-01-01
source = "The fictional programme's only edition [ficland-ppp-2027]"

[rulesets.pregnancy_tests]
settings_before_first_dose = ["office", "clinic", "lab"]
settings_during_treatment = ["office", "clinic", "lab"]
days_before_prescription = 1
source = "A test on the prescription day or the day before [ficland-ppp-2027 §2]"

[rulesets.dispense_window]
anchor = "prescription"
days = 5
source = "Dispense within 5 days of the prescription [ficland-ppp-2027 §3]"

[rulesets.contraception]
lead_days = 30
warn_if_listed = ["progestin_only_pill"]
source = "One user-independent method [ficland-ppp-2027 §4]"

[rulesets.contraception.tiers]
user_independent = ["iud_copper", "iud_hormonal", "implant"]

[[rulesets.contraception.combinations]]
description = "one user-independent method"
slots = [["user_independent"]]

[rulesets.counselling.can_get_pregnant]
kind = "risk_acknowledged"
cadence = "before_first_prescription"
source = "A signed form before starting [ficland-ppp-2027 §5]"

[rulesets.counselling.cannot_get_pregnant]
kind = "risk_acknowledged"
cadence = "before_first_prescription"
source = "A signed form before starting [ficland-ppp-2027 §5]"

[rulesets.cannot_get_pregnant]
source = "No window for persons unable to conceive [ficland-ppp-2027 §3]"

[rulesets.supply]
max_days_supply = 28
source = "At most 28 days per prescription [ficland-ppp-2027 §6]"

[rulesets.post_course]
tests = [{ task = "post_course_pregnancy_test", days_after_last_dose = 30 }]
source = "A test a month after the last dose [ficland-ppp-2027 §7]"
"""

GUIDE_WORDING = """
[programmes.ficland-ppp]
words = "the Ficland programme"
topics = { return-capsules = "no-sharing" }
"""

THRESHOLD = """
[thresholds.LAB_GLUCOSE_FICTIONAL_HIGH]
tests = ["glucose"]
limit = 250
comparison = "at_or_above"
level = "fictional"
source = "A fictional glucose threshold [ficland-ppp-2027 §9]"
"""

ALERT_TOML = """
[LAB_GLUCOSE_FICTIONAL_HIGH]
severity = "warning"
title = "Glucose high (fictional)"
message = "Glucose was {result} on {date} (at or above {limit}). Look at the result."
source = "A fictional glucose threshold [ficland-ppp-2027 §9]"
"""


def packaged_knowledge_copy(target: Path) -> Path:
    """The packaged knowledge's data files (TOML, templates), without its Python."""
    packaged = Path(str(resources.files("isocourse.knowledge")))
    shutil.copytree(packaged, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def append(folder: Path, name: str, text: str) -> None:
    with (folder / name).open("a", encoding="utf-8") as handle:
        handle.write(text)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged knowledge plus the fictional programme and threshold: TOML only."""
    root = packaged_knowledge_copy(tmp_path_factory.mktemp("knowledge") / "knowledge")
    append(root, "references.toml", REFERENCE)
    append(root, "programmes.toml", PROGRAMME_TOML)
    append(root, "guide/index.toml", GUIDE_WORDING)
    append(root, "labs.toml", THRESHOLD)
    append(root, "alerts/labs.toml", ALERT_TOML)
    return root


@pytest.fixture(scope="module")
def knowledge(folder: Path) -> Knowledge:
    return load_knowledge(folder)


def ficland(**changes: Any) -> dict[str, Any]:
    """A patient who can get pregnant under Ficland, every Ficland condition met."""
    base = eu(
        programme=PROGRAMME,
        pregnancy_tests=[specimen("2026-03-14", "office")],
        proposed_prescription=proposed(days_supply=28),
    )
    return record_json(**{**base, **changes})


def parsed(document: dict[str, Any], knowledge: Knowledge) -> CourseRecord:
    return course_record_from_json(document, knowledge, today=AS_OF)


def codes(document: dict[str, Any], knowledge: Knowledge, prefix: str) -> set[str]:
    course = parsed(document, knowledge)
    return {
        a.code for a in assess(course, knowledge, as_of=AS_OF).alerts if a.code.startswith(prefix)
    }


def glucose(value: float) -> dict[str, Any]:
    lab = {"date": "2026-03-01", "test": "glucose", "value": value, "unit": "mg/dL"}
    return record_json(labs=[*BASE["labs"], lab])


# --- the data alone ----------------------------------------------------------------


def test_only_data_files_were_added(folder: Path) -> None:
    assert not list(folder.rglob("*.py"))
    assert {p.suffix for p in folder.rglob("*") if p.is_file()} <= {".toml", ".j2"}


def test_the_packaged_knowledge_knows_neither(knowledge: Knowledge) -> None:
    packaged = load_knowledge()
    assert PROGRAMME not in packaged.programmes.choices()
    assert ALERT not in packaged.labs.thresholds and ALERT not in packaged.alerts
    assert PROGRAMME in knowledge.programmes.choices() and ALERT in knowledge.labs.thresholds


# --- enforced ----------------------------------------------------------------------


def test_a_record_under_the_new_programme_is_accepted_only_by_the_knowledge_that_has_it(
    knowledge: Knowledge,
) -> None:
    assert parsed(ficland(), knowledge).programme == PROGRAMME
    with pytest.raises(RecordError) as refused:
        parsed(ficland(), load_knowledge())
    assert refused.value.field == "programme"
    assert refused.value.message.endswith("one of us-ipledge, eu-ppp, uk-mhra, none")


def test_the_new_programmes_rules_are_enforced(knowledge: Knowledge) -> None:
    assert codes(ficland(), knowledge, "PP_") == set()
    # a test two days before the prescription: Ficland asks for the day or the day before
    late_test = ficland(pregnancy_tests=[specimen("2026-03-13", "office")])
    assert codes(late_test, knowledge, "PP_") == {"PP_PREGNANCY_TEST_MISSING"}
    # 30 days of supply: Ficland allows 28
    long_supply = ficland(proposed_prescription=proposed(days_supply=30))
    assert codes(long_supply, knowledge, "PP_") == {"PP_SUPPLY_TOO_LONG"}
    # the same record under the EU programme (3 days, 30 days of supply) is quiet
    both = ficland(
        pregnancy_tests=[specimen("2026-03-13", "office")],
        proposed_prescription=proposed(days_supply=30),
    )
    assert codes({**both, "programme": "eu-ppp"}, knowledge, "PP_") == set()


def test_the_new_programmes_dispense_window_is_its_own(knowledge: Knowledge) -> None:
    course = parsed(ficland(), knowledge)
    closes = assess(course, knowledge, as_of=AS_OF).dispense.window_closes
    assert closes == date(2026, 3, 19)  # 5 days from the prescription day, that day counted


def test_the_new_threshold_is_enforced(knowledge: Knowledge) -> None:
    assert codes(glucose(250), knowledge, "LAB_") == {ALERT}
    assert codes(glucose(249.9), knowledge, "LAB_") == set()
    assert codes(glucose(400), load_knowledge(), "LAB_") == set()


def test_the_new_thresholds_message_is_filled_from_the_result(knowledge: Knowledge) -> None:
    course = parsed(glucose(260), knowledge)
    (alert,) = [a for a in assess(course, knowledge, as_of=AS_OF).alerts if a.code == ALERT]
    assert alert.severity == "warning"
    assert "260 mg/dL on 2026-03-01 (at or above 250 mg/dL)" in alert.message
    assert "Ficland PPP (fictional) §9" in alert.source


# --- charted -----------------------------------------------------------------------


def test_the_lab_chart_draws_the_new_threshold(knowledge: Knowledge) -> None:
    course = parsed(glucose(260), knowledge)
    (series,) = [s for s in lab_series(course, knowledge) if s.test_name == "glucose"]
    assert [(t.value, t.label, t.alert) for t in series.thresholds] == [
        (250, "fictional 250", ALERT)
    ]
    assert series.rules == (f"{ALERT} (warning): fictional, at or above 250 mg/dL",)
    chart = lab_chart_png(series)
    assert chart is not None and chart.startswith(b"\x89PNG")
    (packaged,) = [s for s in lab_series(course, load_knowledge()) if s.test_name == "glucose"]
    assert packaged.thresholds == () and packaged.rules == ()


def test_the_course_summary_names_the_programme_and_the_threshold(knowledge: Knowledge) -> None:
    course = parsed(ficland(labs=[*BASE["labs"], glucose(260)["labs"][-1]]), knowledge)
    pdf = course_summary_pdf(course, assess(course, knowledge, as_of=AS_OF), knowledge, None)
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert "Ficland Pregnancy Prevention Programme (fictional)" in text
    assert "yes (persons able to conceive)" in text
    assert f"{ALERT} (warning): fictional, at or above 250 mg/dL" in text


# --- documented --------------------------------------------------------------------


@pytest.fixture
def command_line_knowledge(monkeypatch: pytest.MonkeyPatch, knowledge: Knowledge) -> Iterator[None]:
    """The commands read the knowledge through the command line's cache: hand them the
    folder's."""
    monkeypatch.setattr(knowledge_cache, "cached_knowledge", lambda: knowledge)
    yield


@pytest.mark.usefixtures("command_line_knowledge")
def test_isocourse_rules_documents_both(
    knowledge: Knowledge, capsys: pytest.CaptureFixture[str]
) -> None:
    rules(CatalogueFormat.markdown)
    written = capsys.readouterr().out
    assert written == catalogue_markdown(knowledge)
    assert f"| {ALERT} | warning | Glucose high (fictional) |" in written
    assert f"| `{ALERT}` | Glucose | fictional: at or above 250 mg/dL | warning | — |" in written
    assert (
        "| `ficland-ppp` | Ficland Pregnancy Prevention Programme (fictional) | Ficland PPP "
        "| persons able to conceive; persons unable to conceive "
        "| ficland-ppp-2020-01-01 (2020-01-01) |"
    ) in written
    assert ALERT not in catalogue_markdown(load_knowledge())


@pytest.mark.usefixtures("command_line_knowledge")
def test_isocourse_programmes_lists_the_new_programme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    programmes(ProgrammesFormat.json)
    listed = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    row = listed["ficland-ppp-2020-01-01"]
    assert row["programme"] == PROGRAMME
    assert row["programme_title"] == "Ficland Pregnancy Prevention Programme (fictional)"
    assert row["categories"]["can_get_pregnant"] == "persons able to conceive"
    assert "maximum supply: 28 days" in row["rules"]
    assert "dispense window: 5 days from the prescription day" in row["rules"]
    assert "Ficland PPP (fictional)" in row["source"]


@pytest.mark.usefixtures("command_line_knowledge")
def test_isocourse_schema_lists_the_new_programme(
    knowledge: Knowledge, capsys: pytest.CaptureFixture[str]
) -> None:
    schema(SchemaName.course_record)
    enum = json.loads(capsys.readouterr().out)["properties"]["programme"]["enum"]
    assert enum == ["us-ipledge", "eu-ppp", "uk-mhra", PROGRAMME, "none"]
    assert json_schema("course-record", knowledge)["properties"]["programme"]["enum"] == enum
    assert PROGRAMME not in json_schema("course-record")["properties"]["programme"]["enum"]


def test_the_guide_speaks_of_the_new_programme_and_threshold(
    folder: Path, knowledge: Knowledge
) -> None:
    options = GuideOptions("isotretinoin", PROGRAMME, "can_get_pregnant", AS_OF)
    guide = render_guide(knowledge, options, load_guide_catalogue(folder))
    assert "Programme: the Ficland programme" in guide.subtitle
    prevention = guide.section("pregnancy-prevention").body
    assert "Your programme is the Ficland programme." in prevention
    assert f"within {duration(5)} of the day your prescription is written" in prevention
    assert f"at most {duration(28)} of capsules" in prevention
    taking = guide.section("taking-it").body
    assert "Take any capsules you have left back to your pharmacy" in taking
    clinician = render_guide(
        knowledge,
        GuideOptions("isotretinoin", PROGRAMME, "can_get_pregnant", AS_OF, "clinician"),
        load_guide_catalogue(folder),
    )
    notes = clinician.section("clinician-notes").body
    assert (
        "Glucose: fictional, at or above 250 mg/dL (warning).[^labs-lab-glucose-fictional-high]"
        in notes
    )
    assert "A fictional glucose threshold" in clinician.sources["labs-lab-glucose-fictional-high"]


# --- refused when a part is missing --------------------------------------------------


def test_a_programme_without_guide_wording_is_refused(tmp_path: Path) -> None:
    root = packaged_knowledge_copy(tmp_path / "knowledge")
    append(root, "references.toml", REFERENCE)
    append(root, "programmes.toml", PROGRAMME_TOML)
    assert PROGRAMME in load_knowledge(root).programmes.choices()
    with pytest.raises(
        GuideError, match=re.escape("'ficland-ppp' has no [programmes.ficland-ppp]")
    ):
        load_guide_catalogue(root)


def test_a_programme_without_a_rule_set_is_refused(tmp_path: Path) -> None:
    root = packaged_knowledge_copy(tmp_path / "knowledge")
    append(root, "references.toml", REFERENCE)
    append(root, "programmes.toml", PROGRAMME_TOML.split("[[rulesets]]")[0])
    with pytest.raises(KnowledgeError, match="programme 'ficland-ppp' has no rule set"):
        load_knowledge(root)


def test_a_threshold_without_its_alert_is_refused(tmp_path: Path) -> None:
    root = packaged_knowledge_copy(tmp_path / "knowledge")
    append(root, "references.toml", REFERENCE)
    append(root, "labs.toml", THRESHOLD)
    with pytest.raises(KnowledgeError, match=f"alert {ALERT} is not in the alert catalogue"):
        load_knowledge(root)


def test_a_missing_knowledge_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="knowledge folder missing"):
        load_knowledge(tmp_path / "nowhere")
