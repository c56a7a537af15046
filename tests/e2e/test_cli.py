"""The command line end to end: evaluate, plan, rules, programmes, demo, help."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from isocourse.cli import app
from isocourse.demo_patients import demo_records
from tests.builders import record_json

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "course-record.json"
runner = CliRunner()


def isocourse(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "isocourse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_evaluate_prints_a_valid_assessment_for_the_contract_example() -> None:
    result = isocourse("evaluate", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assessment = json.loads(result.stdout)
    assert assessment["format"] == "isocourse.assessment/1"
    assert assessment["patient_id"] == "p-001"
    assert assessment["cumulative"]["mg"] == 2940
    assert assessment["dispense"]["allowed"] is False
    assert set(assessment["dispense"]["blocking"]) >= {
        "DRUG_TETRACYCLINE",
        "SCREEN_HYPERSENSITIVITY",
    }


def test_evaluate_reads_standard_input() -> None:
    result = isocourse("evaluate", "-", stdin=json.dumps(record_json()))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patient_id"] == "p-test"


def test_evaluate_exits_2_naming_the_field_on_bad_input() -> None:
    bad = record_json(weights=[{"date": "2026-02-30", "value": 62, "unit": "kg"}])
    result = isocourse("evaluate", "-", stdin=json.dumps(bad))
    assert result.returncode == 2
    assert "weights[0].date" in result.stderr
    assert result.stdout == ""


def test_evaluate_exits_2_on_a_missing_file() -> None:
    result = runner.invoke(app, ["evaluate", "no-such-file.json"])
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.parametrize("flag", [[], ["--explain"]])
def test_evaluate_as_text_shows_the_alerts_and_the_disclaimer(flag: list[str]) -> None:
    result = runner.invoke(app, ["evaluate", str(EXAMPLE), "--format", "text", *flag])
    assert result.exit_code == 0, result.output
    assert "SCREEN_HYPERSENSITIVITY" in result.output
    assert "supports a clinician's decision" in result.output


def test_evaluate_jsonl_writes_one_assessment_per_line_and_reports_bad_lines(
    tmp_path: Path,
) -> None:
    lines = [
        json.dumps(document) for document in demo_records(__import__("datetime").date(2026, 11, 22))
    ]
    lines.insert(2, json.dumps(record_json(programme="mars")))
    source = tmp_path / "records.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = isocourse("evaluate", "--jsonl", str(source))
    assert result.returncode == 2
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(outputs) == len(lines)
    assert outputs[2] == {
        "format": "isocourse.error/1",
        "line": 3,
        "field": "programme",
        "message": outputs[2]["message"],
    }
    assert all(o["format"] == "isocourse.assessment/1" for i, o in enumerate(outputs) if i != 2)


def test_plan_gives_capsules_morning_and_evening() -> None:
    result = runner.invoke(
        app,
        [
            "plan",
            "--weight",
            "62kg",
            "--mg-per-kg",
            "0.5",
            "--product",
            "absorica",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["mg_per_day"] == 30
    assert plan["morning_capsules_mg"] == [20] and plan["evening_capsules_mg"] == [10]
    assert plan["days_to_target"] == 310


def test_plan_says_which_label_each_capsule_strength_comes_from() -> None:
    args = ["plan", "--weight", "70kg", "--mg-per-kg", "0.8", "--product", "isotretinoin"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["mg_per_day"] == 55  # 30 + 25: 25 mg is on a current generic label
    assert "any current label" in plan["strength_rule"]
    sources = {source["mg"]: source["labels"] for source in plan["capsule_sources"]}
    (label,) = sources[25]
    assert (label["labeler"], label["version"]) == ("Zydus Lifesciences Limited", 1)
    assert label["url"].startswith("https://")
    text = runner.invoke(app, args)
    assert text.exit_code == 0
    assert "25 mg: Isotretinoin capsules (generic of Absorica" in text.output


def test_plan_accepts_pounds() -> None:
    result = runner.invoke(
        app, ["plan", "--weight", "136.7lb", "--mg-per-kg", "1", "--product", "isotretinoin"]
    )
    assert result.exit_code == 0, result.output
    assert "60 mg a day" in result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--weight", "62", "--mg-per-kg", "0.5", "--product", "absorica"], "--weight"),
        (["--weight", "62kg", "--mg-per-kg", "0.5", "--product", "accutane"], "--product"),
        (["--weight", "62kg", "--mg-per-kg", "-1", "--product", "absorica"], "--mg-per-kg"),
        (["--weight", "900kg", "--mg-per-kg", "0.5", "--product", "absorica"], "--weight"),
    ],
)
def test_plan_refuses_bad_options_naming_them(args: list[str], named: str) -> None:
    result = runner.invoke(app, ["plan", *args])
    assert result.exit_code == 2
    assert named in result.output


def test_rules_lists_every_code_with_severity_and_source() -> None:
    result = runner.invoke(app, ["rules", "--format", "json"])
    assert result.exit_code == 0
    catalogue = json.loads(result.output)
    assert {"SCREEN_PREGNANT", "DOSE_ABOVE_MAXIMUM", "MOOD_SUICIDAL_IDEATION"} <= {
        entry["code"] for entry in catalogue
    }
    assert all(entry["source"] and entry["severity"] for entry in catalogue)


def test_programmes_lists_the_rule_sets() -> None:
    result = runner.invoke(app, ["programmes"])
    assert result.exit_code == 0, result.output
    for programme in ("us-ipledge", "eu-ppp", "uk-mhra"):
        assert programme in result.output


def test_demo_shows_the_work_list_with_the_most_urgent_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISOCOURSE_DATA_DIR", str(tmp_path))  # never the tree's own folder
    monkeypatch.delenv("ISOCOURSE_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "Demo clinic work-list" in result.output


@pytest.mark.parametrize("command", ["evaluate", "plan", "rules", "programmes", "demo"])
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def _evaluated(**changes: object) -> Any:
    """The assessment ``isocourse evaluate`` prints for the test record with ``changes``."""
    result = isocourse("evaluate", "-", stdin=json.dumps(record_json(**changes)))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_evaluate_blocks_a_tetracycline_whatever_its_brand() -> None:
    """Issue 19: a tetracycline brand missing from the brand list let dispensing through."""
    started = {"start": "2026-03-01", "end": None}
    for name in ("LymePak 100 mg", "Doxycyclinex 100 mg"):  # a brand, and any -cycline name
        assessment = _evaluated(medications=[{"name": name, **started}])
        assert assessment["dispense"] == {
            "allowed": False,
            "blocking": ["DRUG_TETRACYCLINE"],
            "window_closes": None,
        }, name
    # a brand still missing from the list blocks too, until a clinician reviews the name
    assessment = _evaluated(medications=[{"name": "Avidoxy 100 mg", **started}])
    assert assessment["dispense"]["allowed"] is False
    assert assessment["dispense"]["blocking"] == ["DRUG_UNRECOGNISED"]


def test_evaluate_stops_for_a_suicidal_statement_in_another_word_order() -> None:
    """Issue 19: a synonym's words in another order gave only an info alert."""
    words = "I think everyone would be better off if I were dead"
    assessment = _evaluated(symptoms=[{"date": "2026-03-12", "text": words}])
    assert assessment["dispense"]["allowed"] is False
    assert assessment["dispense"]["blocking"] == ["SYMPTOM_SUICIDAL"]
    (alert,) = assessment["alerts"]
    assert alert["code"] == "SYMPTOM_SUICIDAL" and alert["severity"] == "stop"
    assert words in alert["message"]


def test_evaluate_applies_the_uk_2023_measures_to_a_patient_who_cannot_get_pregnant() -> None:
    """Issue 19: the MHRA's second-prescriber and mental-health measures cover every
    patient (MHRA Drug Safety Update, 31 October 2023), not only those who can get
    pregnant."""
    first_prescription = {
        "programme": "uk-mhra",
        "as_of": "2026-01-21",
        "patient.birth_date": "2008-06-01",  # 17 on the day
        "patient.can_get_pregnant": False,
        "course.start_date": None,
        "doses": [],
        "prescriptions": [],
        "dispenses": [],
        "counselling": [{"date": "2026-01-21", "kind": "risk_acknowledged"}],
        "mood_screens": [{"date": "2026-01-21", "instrument": "phq9", "items": [0] * 9}],
        "proposed_prescription": {"date": "2026-01-21", "days_supply": 30, "mg_per_day": 30},
    }
    blocking = _evaluated(**first_prescription)["dispense"]["blocking"]
    assert "PP_SECOND_PRESCRIBER_MISSING" in blocking
    assert "PP_MENTAL_HEALTH_ASSESSMENT_MISSING" in blocking
    agreed = [
        {"date": "2026-01-21", "kind": kind}
        for kind in ("risk_acknowledged", "mental_health_assessed", "second_prescriber_agreed")
    ]
    cleared = _evaluated(**{**first_prescription, "counselling": agreed})["dispense"]["blocking"]
    assert not {"PP_SECOND_PRESCRIBER_MISSING", "PP_MENTAL_HEALTH_ASSESSMENT_MISSING"} & set(
        cleared
    )
