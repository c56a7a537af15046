"""The label check: openFDA label records compared with the product knowledge."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from isocourse.knowledge.label_check import (
    CheckReport,
    LabelRecordError,
    check_labels,
    read_record,
    records_in_document,
)
from isocourse.knowledge.loader import load_knowledge
from isocourse.label_files import LabelFileError, read_label_file, read_label_folder

KNOWLEDGE = load_knowledge()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labels"
CURRENT = FIXTURES / "current"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CURRENT / name).read_text(encoding="utf-8"))
    return loaded


def check(*documents: dict[str, Any]) -> CheckReport:
    records = [r for i, d in enumerate(documents) for r in records_in_document(d, f"doc{i}")]
    return check_labels(records, KNOWLEDGE.products, KNOWLEDGE.conditions)


def kinds(report: CheckReport) -> list[str]:
    return [f.kind for f in report.differences]


# -- the current labels agree -----------------------------------------------------------------


def test_the_fixtures_of_the_current_labels_agree_with_the_knowledge() -> None:
    report = check_labels(read_label_folder(CURRENT), KNOWLEDGE.products, KNOWLEDGE.conditions)
    assert report.differences == ()
    assert report.agrees


def test_every_cited_label_has_a_current_fixture() -> None:
    records = read_label_folder(CURRENT)
    report = check_labels(records, KNOWLEDGE.products, KNOWLEDGE.conditions)
    matched = {label for _, _, label in report.checked}
    assert matched == set(KNOWLEDGE.products.labels_by_id())


# -- what the check finds ---------------------------------------------------------------------


def test_a_new_strength_on_a_cited_label_is_a_difference() -> None:
    record = fixture("claravis-teva.json")
    text = record["description"][0].replace("30 mg and 40 mg", "30 mg, 35 mg and 40 mg")
    record["description"] = [text]
    report = check(record)
    (finding,) = report.differences
    assert (finding.kind, finding.products) == ("strength", "claravis")
    assert finding.label == "teva-claravis"
    assert "35 mg" in finding.record


def test_a_strength_the_label_no_longer_lists_is_a_difference() -> None:
    record = fixture("claravis-teva.json")
    record["description"] = ["available as Claravis in 10 mg, 20 mg and 40 mg capsules"]
    (finding,) = check(record).differences
    assert finding.kind == "strength" and "30 mg" in finding.knowledge


def test_a_new_allergen_bearing_excipient_is_a_difference() -> None:
    record = fixture("isotretinoin-zydus.json")
    elements = record["spl_product_data_elements"][0]
    record["spl_product_data_elements"] = [elements + " PROPYLPARABEN"]
    (finding,) = check(record).differences
    assert finding.kind == "allergen"
    assert "PROPYLPARABEN" in finding.record and "parabens" in finding.record


def test_an_allergen_the_label_no_longer_names_is_a_difference() -> None:
    record = copy.deepcopy(fixture("zenatane-drreddys.json"))
    result = record["results"][0]
    result["spl_product_data_elements"] = ["Zenatane isotretinoin SOYBEAN OIL GELATIN"]
    (finding,) = check(record).differences
    assert finding.kind == "allergen" and "parabens" in finding.knowledge


def test_a_record_without_an_ingredient_list_is_a_difference_not_a_pass() -> None:
    record = fixture("claravis-teva.json")
    del record["spl_product_data_elements"]
    assert kinds(check(record)) == ["allergen"]


def test_a_record_without_a_strength_is_a_difference_not_a_pass() -> None:
    record = fixture("claravis-teva.json")
    del record["description"]
    assert kinds(check(record)) == ["strength"]


def test_a_later_version_than_the_one_cited_is_reported() -> None:
    record = fixture("isotretinoin-zydus-absorica-type.json")
    assert check(record).agrees  # version 1, as cited
    record["version"] = "2"
    (finding,) = check(record).differences
    assert finding.kind == "newer" and "version 2" in finding.record


def test_a_label_effective_after_the_dailymed_date_cited_is_newer() -> None:
    record = fixture("absorica-sun.json")
    record["effective_time"] = "20240115"  # DailyMed showed the label cited on 2023-06-12
    assert kinds(check(record)) == ["newer"]


def test_a_record_that_gives_a_version_the_knowledge_does_not_pin_asks_to_add_it() -> None:
    record = fixture("claravis-teva.json")
    record["version"] = "14"
    record["effective_time"] = "20240101"
    (finding,) = check(record).differences
    assert finding.kind == "citation" and "add them" in finding.record


def test_a_set_id_the_knowledge_does_not_know_yet_is_asked_for() -> None:
    record = fixture("amnesteem-mylan.json")
    record["set_id"] = "00000000-0000-0000-0000-000000000000"
    assert "citation" in kinds(check(record))


def test_an_uncited_label_of_a_known_product_is_compared_with_the_product() -> None:
    record = fixture("isotretinoin-zydus.json")
    record["set_id"] = "11111111-2222-3333-4444-555555555555"
    record["openfda"] = {**record["openfda"], "manufacturer_name": ["Another Labs Inc."]}
    report = check(record)
    assert report.agrees  # strengths offered, soy carried
    assert [n.label for n in report.notes] == ["not cited"]
    record["package_label_principal_display_panel"] = ["Isotretinoin Capsules, USP 15 mg"]
    (finding,) = check(record).differences
    assert finding.kind == "strength" and "15 mg" in finding.record


def test_a_label_of_no_known_product_is_a_difference() -> None:
    record = fixture("claravis-teva.json")
    record["set_id"] = "11111111-2222-3333-4444-555555555555"
    record["openfda"] = {"brand_name": ["Accutane"], "manufacturer_name": ["JG Pharma Inc."]}
    (finding,) = check(record).differences
    assert finding.kind == "product" and "Accutane" in finding.knowledge


def test_absorica_and_absorica_ld_are_checked_as_one_label() -> None:
    report = check(fixture("absorica-sun.json"))
    assert report.checked[0][1:] == ("absorica, absorica-ld", "sun-absorica")


# -- reading records --------------------------------------------------------------------------


def test_an_openfda_response_and_a_bare_record_read_alike() -> None:
    bare = fixture("zenatane-drreddys.json")["results"][0]
    (wrapped,) = records_in_document({"meta": {}, "results": [bare]}, "x")
    (alone,) = records_in_document(bare, "x")
    assert wrapped.strengths_mg == alone.strengths_mg == (10, 20, 30, 40)


def test_strengths_are_read_with_a_hyphen_and_never_per_kg() -> None:
    record = read_record(
        {"set_id": "a", "description": ["in 10-mg and 20 mg capsules; 0.5 to 1 mg/kg/day"]}, "x"
    )
    assert record.strengths_mg == (10, 20)


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ([], "JSON object"),
        ({"title": "not a label"}, "not an openFDA drug label record"),
        ({"set_id": 5}, "'set_id'"),
        ({"set_id": "a", "version": "v2"}, "'version'"),
        ({"set_id": "a", "effective_time": "2024-01-01"}, "'effective_time'"),
        ({"set_id": "a", "openfda": []}, "'openfda'"),
        ({"set_id": "a", "spl_product_data_elements": [3]}, "'spl_product_data_elements'"),
    ],
)
def test_a_malformed_record_is_refused_naming_the_field(raw: object, named: str) -> None:
    with pytest.raises(LabelRecordError, match=named):
        read_record(raw, "x.json")


def test_an_unreadable_file_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"broken\.json: not valid JSON"):
        read_label_file(bad)
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(LabelFileError, match=r"broken\.json: not UTF-8"):
        read_label_file(bad)


def test_a_folder_without_label_records_is_refused(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("no records", encoding="utf-8")
    with pytest.raises(LabelFileError, match=r"no \.json label records"):
        read_label_folder(tmp_path)
    with pytest.raises(LabelFileError, match="no such folder"):
        read_label_folder(tmp_path / "missing")
