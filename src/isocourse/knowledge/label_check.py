"""Compare the product knowledge with published label records (openFDA's JSON form).

This is the core of ``isocourse knowledge check``: pure functions over records already
parsed from JSON (the command line reads the files; nothing is fetched). For each
record it finds the label the knowledge cites (by set id; failing that, by brand name
and labeler), then reports what differs:

- **strength**: a strength the label lists that the knowledge does not give for it, or
  one the knowledge gives that the label no longer lists;
- **allergen**: an allergen-bearing excipient in the label's ingredient list
  (``spl_product_data_elements``) that the knowledge does not carry for it, or one the
  knowledge carries that the label no longer names;
- **newer**: the record is a later version (or effective date) than the one cited;
- **citation**: the knowledge does not pin the label (no set id, or no version or date
  to compare with) while the record gives one: add it;
- **product**: the record's brand names match no product of the knowledge.

A record the knowledge does not cite but whose brand matches a product is compared
with the product as a whole: a strength no cited label offers, or an allergen the
product does not carry, is a difference. What cannot be compared is a *note*, not a
difference. Strengths are read from the label's text ("10 mg", "10-mg") in the first
of ``dosage_forms_and_strengths``, ``how_supplied``, ``description`` and
``package_label_principal_display_panel`` that names any.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from isocourse.knowledge.conditions import ConditionCatalogue
from isocourse.knowledge.products import ProductCatalogue, ProductLabel

Kind = Literal["strength", "allergen", "newer", "citation", "product", "note"]

STRENGTH_FIELDS = (
    "dosage_forms_and_strengths",
    "how_supplied",
    "description",
    "package_label_principal_display_panel",
)
INGREDIENT_FIELDS = ("spl_product_data_elements", "inactive_ingredient")
_STRENGTH = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)\s*-?\s*mg\b(?!\s*/)", re.IGNORECASE)
_MIN_MG, _MAX_MG = 1.0, 100.0


class LabelRecordError(ValueError):
    """A file's JSON is not an openFDA drug label record (the message names the field)."""


@dataclass(frozen=True)
class LabelRecord:
    """The parts of one openFDA drug label record that the check reads."""

    where: str
    set_id: str | None
    version: int | None
    effective_date: date | None
    brand_names: tuple[str, ...]
    labelers: tuple[str, ...]
    strengths_mg: tuple[float, ...]
    strengths_field: str | None
    ingredient_text: tuple[str, ...]

    def described(self) -> str:
        version = "?" if self.version is None else str(self.version)
        when = self.effective_date.isoformat() if self.effective_date else "?"
        return f"set id {self.set_id or '?'}, version {version}, effective {when}"


@dataclass(frozen=True)
class Finding:
    """One difference (``kind`` other than ``note``) or note about one record."""

    kind: Kind
    file: str
    products: str
    label: str
    knowledge: str
    record: str

    @property
    def is_difference(self) -> bool:
        return self.kind != "note"


@dataclass(frozen=True)
class CheckReport:
    checked: tuple[tuple[str, str, str], ...]  # (file, products, label id or "not cited")
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def differences(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_difference)

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.is_difference)

    @property
    def agrees(self) -> bool:
        return not self.differences


Report = Callable[[Kind, str, str], Finding]


# -- reading a record ---------------------------------------------------------------------------


def records_in_document(document: Any, where: str) -> list[LabelRecord]:
    """The label records in one JSON document: an openFDA response (``{"results": [...]}``),
    a list of records, or one record."""
    if isinstance(document, Mapping) and "results" in document:
        results = document["results"]
        if not isinstance(results, list):
            raise LabelRecordError(f"{where}: 'results' must be a list of label records")
        return [read_record(r, f"{where} results[{i}]") for i, r in enumerate(results)]
    if isinstance(document, list):
        return [read_record(r, f"{where} [{i}]") for i, r in enumerate(document)]
    return [read_record(document, where)]


def read_record(raw: Any, where: str) -> LabelRecord:
    """One openFDA label record; raises :class:`LabelRecordError` naming what is wrong."""
    if not isinstance(raw, Mapping):
        raise LabelRecordError(f"{where}: a label record must be a JSON object")
    if not any(key in raw for key in ("set_id", "openfda", *INGREDIENT_FIELDS)):
        raise LabelRecordError(
            f"{where}: not an openFDA drug label record (no set_id, openfda or "
            "spl_product_data_elements)"
        )
    openfda = raw.get("openfda", {})
    if not isinstance(openfda, Mapping):
        raise LabelRecordError(f"{where}: field 'openfda' must be an object")
    strengths, strengths_field = _strengths(raw, where)
    return LabelRecord(
        where=where,
        set_id=_optional_text(raw, "set_id", where),
        version=_version(raw.get("version"), where),
        effective_date=_effective_date(raw.get("effective_time"), where),
        brand_names=_texts(openfda, "brand_name", f"{where} openfda"),
        labelers=_texts(openfda, "manufacturer_name", f"{where} openfda"),
        strengths_mg=strengths,
        strengths_field=strengths_field,
        ingredient_text=tuple(t for name in INGREDIENT_FIELDS for t in _texts(raw, name, where)),
    )


def _optional_text(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise LabelRecordError(f"{where}: field '{name}' must be a non-empty string")
    return value.strip().lower()


def _texts(raw: Mapping[str, Any], name: str, where: str) -> tuple[str, ...]:
    """openFDA gives text fields as lists of strings; a plain string is accepted too."""
    value = raw.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise LabelRecordError(f"{where}: field '{name}' must be a list of strings")


def _version(value: Any, where: str) -> int | None:
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise LabelRecordError(f"{where}: field 'version' must be a whole number, not {value!r}")
    return int(text)


def _effective_date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    text = str(value).strip()
    try:
        if not re.fullmatch(r"\d{8}", text):
            raise ValueError(text)
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise LabelRecordError(
            f"{where}: field 'effective_time' must be a date written YYYYMMDD, not {value!r}"
        ) from None


def _strengths(raw: Mapping[str, Any], where: str) -> tuple[tuple[float, ...], str | None]:
    for name in STRENGTH_FIELDS:
        found = sorted(
            {
                float(match.group(1))
                for text in _texts(raw, name, where)
                for match in _STRENGTH.finditer(text)
                if _MIN_MG <= float(match.group(1)) <= _MAX_MG
            }
        )
        if found:
            return tuple(found), name
    return (), None


# -- comparing ---------------------------------------------------------------------------------


def check_labels(
    records: Sequence[LabelRecord],
    products: ProductCatalogue,
    conditions: ConditionCatalogue,
) -> CheckReport:
    """Every record compared with the knowledge; see the module's docstring."""
    checked: list[tuple[str, str, str]] = []
    findings: list[Finding] = []
    for record in records:
        cited = _cited_labels(record, products)
        if cited:
            label_id = cited[0][1].id
            names = ", ".join(sorted({product_id for product_id, _ in cited}))
            checked.append((record.where, names, label_id))
            findings.extend(_compare_cited(record, cited, conditions))
            continue
        product_ids = _products_by_brand(record, products)
        if not product_ids:
            checked.append((record.where, "-", "not cited"))
            findings.append(
                Finding(
                    "product",
                    record.where,
                    "-",
                    "not cited",
                    f"no product with brand name {_or(record.brand_names)}",
                    f"brand {_or(record.brand_names)}, {record.described()}",
                )
            )
            continue
        checked.append((record.where, ", ".join(product_ids), "not cited"))
        findings.extend(_compare_uncited(record, product_ids, products, conditions))
    return CheckReport(checked=tuple(checked), findings=tuple(findings))


def _cited_labels(
    record: LabelRecord, products: ProductCatalogue
) -> list[tuple[str, ProductLabel]]:
    """The knowledge's entries for this record's label: by set id, else brand and labeler."""
    by_id = products.labels_by_id()
    if record.set_id is not None:
        for entries in by_id.values():
            if entries[0][1].set_id_known == record.set_id:
                return entries
    brands = set(_products_by_brand(record, products))
    candidates = [
        entries
        for entries in by_id.values()
        if entries[0][1].set_id_known is None
        and any(product_id in brands for product_id, _ in entries)
        and any(_same_labeler(entries[0][1].labeler, name) for name in record.labelers)
    ]
    return candidates[0] if len(candidates) == 1 else []


def _products_by_brand(record: LabelRecord, products: ProductCatalogue) -> list[str]:
    names = {_folded(name) for name in record.brand_names}
    return [
        product_id
        for product_id, product in products.products.items()
        if any(_folded(brand) in names for brand in product.brand_names)
    ]


def _compare_cited(
    record: LabelRecord,
    cited: list[tuple[str, ProductLabel]],
    conditions: ConditionCatalogue,
) -> list[Finding]:
    label = cited[0][1]
    names = ", ".join(sorted({product_id for product_id, _ in cited}))

    def finding(kind: Kind, knowledge: str, seen: str) -> Finding:
        return Finding(kind, record.where, names, label.id, knowledge, seen)

    expected_mg = {mg for _, entry in cited for mg in entry.strengths_mg}
    expected_allergens = {a for _, entry in cited for a in entry.excipient_allergens}
    found = _strength_findings(record, expected_mg, finding, offered_elsewhere=False)
    found += _allergen_findings(record, expected_allergens, conditions, finding, both_ways=True)
    found += _version_findings(record, label, finding)
    return found


def _compare_uncited(
    record: LabelRecord,
    product_ids: list[str],
    products: ProductCatalogue,
    conditions: ConditionCatalogue,
) -> list[Finding]:
    names = ", ".join(product_ids)

    def finding(kind: Kind, knowledge: str, seen: str) -> Finding:
        return Finding(kind, record.where, names, "not cited", knowledge, seen)

    offered = {mg for p in product_ids for mg in products.products[p].strengths_mg}
    carried = {a for p in product_ids for a in products.products[p].excipient_allergens}
    found = [
        finding(
            "note",
            "this label is not cited: compared with the product's cited labels",
            f"brand {_or(record.brand_names)}, labeler {_or(record.labelers)}, "
            + record.described(),
        )
    ]
    found += _strength_findings(record, offered, finding, offered_elsewhere=True)
    found += _allergen_findings(record, carried, conditions, finding, both_ways=False)
    return found


def _strength_findings(
    record: LabelRecord, expected: set[float], finding: Report, *, offered_elsewhere: bool
) -> list[Finding]:
    if not record.strengths_mg:
        fields = ", ".join(STRENGTH_FIELDS)
        return [finding("strength", _mg(expected), f"no strength found (fields read: {fields})")]
    listed = set(record.strengths_mg)
    found = []
    new = sorted(listed - expected)
    if new:
        found.append(
            finding(
                "strength",
                f"offers {_mg(expected)}",
                f"lists {_mg(new)} too (from {record.strengths_field})",
            )
        )
    gone = sorted(expected - listed)
    if gone and not offered_elsewhere:
        found.append(
            finding(
                "strength",
                f"gives {_mg(gone)} from this label",
                f"lists only {_mg(listed)} (from {record.strengths_field})",
            )
        )
    return found


def _allergen_findings(
    record: LabelRecord,
    expected: set[str],
    conditions: ConditionCatalogue,
    finding: Report,
    *,
    both_ways: bool,
) -> list[Finding]:
    if not record.ingredient_text:
        fields = " or ".join(INGREDIENT_FIELDS)
        return [
            finding("allergen", _or(sorted(expected)), f"no ingredient list ({fields}) to read")
        ]
    carried = conditions.allergens_in(record.ingredient_text)
    found = [
        finding(
            "allergen",
            f"carries {_or(sorted(expected))}",
            f"names {', '.join(words)} ({code})",
        )
        for code, words in sorted(carried.items())
        if code not in expected
    ]
    if both_ways:
        found += [
            finding("allergen", f"carries {code}", f"no {code} excipient in the ingredient list")
            for code in sorted(expected - set(carried))
        ]
    return found


def _version_findings(record: LabelRecord, label: ProductLabel, finding: Report) -> list[Finding]:
    found = []
    if label.set_id_known is None and record.set_id is not None:
        found.append(
            finding("citation", "set id unknown", f"set id {record.set_id}: add it to the entry")
        )
    cited_version, cited_date = label.version_known, label.effective_date_known
    seen = record.described()
    if cited_version is not None and record.version is not None:
        if record.version > cited_version:
            found.append(finding("newer", f"cites version {cited_version}", seen))
        elif record.version < cited_version:
            found.append(finding("note", f"cites version {cited_version}", f"older: {seen}"))
        return found
    if cited_date is not None and record.effective_date is not None:
        if record.effective_date > cited_date:
            found.append(finding("newer", f"cites the label effective {cited_date}", seen))
        return found
    updated = label.dailymed_updated_known
    if updated is not None and record.effective_date is not None:
        if record.effective_date > updated:
            found.append(
                finding("newer", f"cites the label DailyMed showed on {updated.isoformat()}", seen)
            )
        else:
            found.append(
                finding(
                    "citation",
                    f"no version or effective date (DailyMed showed {updated.isoformat()})",
                    f"{seen}: add them to the entry",
                )
            )
        return found
    if record.version is not None or record.effective_date is not None:
        found.append(
            finding("citation", "no version or date to compare", f"{seen}: add them to the entry")
        )
    else:
        found.append(
            finding("note", "no version or date to compare", "the record gives none either")
        )
    return found


_LABELER_NOISE = re.compile(
    r"\b(inc|llc|ltd|limited|corp|corporation|co|company|usa|us|the|plc|gmbh)\b"
)


def _folded(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _same_labeler(cited: str, seen: str) -> bool:
    a = _LABELER_NOISE.sub(" ", _folded(cited)).split()
    b = _LABELER_NOISE.sub(" ", _folded(seen)).split()
    return bool(a) and bool(b) and (a[: len(b)] == b or b[: len(a)] == a)


def _mg(values: Iterable[float]) -> str:
    listed = sorted(values)
    return ", ".join(f"{v:g}" for v in listed) + " mg" if listed else "none"


def _or(values: Iterable[str]) -> str:
    return ", ".join(values) or "none"
