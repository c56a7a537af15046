"""docs/clinical-basis.md, generated: the references and how the knowledge uses them.

:func:`clinical_basis_markdown` writes the page from the reference registry
(``references.toml``) and every source text of the knowledge (and of the guide, when
given): each reference with its issuer, title, date, link, confidence and note, and the
alert codes and entries that cite it; then how to keep the knowledge current. A test
compares the page in ``docs/`` with this function's output, so the page cannot drift.
Pure: standard library and the knowledge's own types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from isocourse.knowledge.model import Knowledge
from isocourse.knowledge.references import Reference, citations, source_texts

KIND_TITLES = {
    "label": "Product labels (US prescribing information, EU and UK product information)",
    "register": "Label registers",
    "regulator": "Regulators' decisions and safety updates",
    "programme": "Pregnancy-prevention programmes",
    "guideline": "Guidelines and consensus statements",
    "paper": "Papers",
    "report": "Reports, references and leaflets",
    "standard": "Standards and units",
    "decision": "isocourse's own decisions",
}

INTRODUCTION = """\
# Clinical basis

Generated from `src/isocourse/knowledge/references.toml` and the knowledge data by
`isocourse knowledge basis --format markdown > docs/clinical-basis.md`; a test fails when
this page drifts from the data.

Every clinical number and rule isocourse applies lives in the knowledge data
(`src/isocourse/knowledge/*.toml`), and every entry there says where it comes from: its
`source` is a short sentence in the project's words followed by one or more reference
markers, `[id]` or `[id locator]`, for example

    source = "Triglycerides above 800 mg/dL, linked to pancreatitis [us-label-absorica §5.8]"

Each `id` is one of the references below. The program refuses to start when a source cites
no reference or an id that is not listed here. What users see:

- an alert's `source` (assessment JSON, `isocourse evaluate`, the course-summary PDF, the
  FHIR export) is the short citation of each reference with its locator and its link;
- `isocourse rules` and [the alert catalogue](rules.md) show the sentence and the citations;
- the patient and clinician guide ends with a Sources list: each footnote quotes the
  sentence, then the citations with their links.

## What the confidence levels mean

- **high**: the primary document (label, regulator's page, guideline, paper, standard) was
  identified and its link, DOI or set id confirmed; the statements cited were read in it or
  in a faithful copy of it.
- **medium**: the document is identified, but what is cited was read in a secondary source
  (a summary, a trade-press report, a copy whose version is unknown), or the document's
  exact wording was not re-read. The entry's note says which.
- **low**: the document could not be identified fully; kept only where nothing better was
  found, and only for a default that the user's own data override.

A reference without a public link says why in its entry ("no link confirmed", "secondary
source only"). Links, DOIs and set ids are written only when they were confirmed; nothing
is guessed. `decision` entries are isocourse's own choices where no source sets a number
(listed in [the alert catalogue](rules.md#product-decisions)); they are not evidence.
"""

MAINTENANCE = """\
## Keeping the knowledge current

Labels, programmes and guidance change. The knowledge is data: a change is an edit of a
`.toml` file with its source, never a change of code.

### When a reference changes (a new label version, a new Drug Safety Update)

1. Read the new document. Update its entry in `references.toml`: `date`, `url` (a DailyMed
   link is `https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=<set id>`),
   `confidence` and the `note` saying what was confirmed and how.
2. Find what cites it: `grep -rn "\\[<id>" src/isocourse/knowledge/` (or the "Cited by" line
   of its entry above). Check each entry's number and sentence against the new text; change the
   number, the sentence and the locator (`§5.8`) where the document changed.
3. A new programme rule is a new dated rule set in `programmes.toml` (with its
   `effective_from` and sources), never an edit of an old one: records keep being judged
   by the rule set in force on their dates.
4. A new document gets a new entry with a new id (lower-case words joined by hyphens);
   never reuse an id for another document.
5. Regenerate and test: `isocourse knowledge basis --format markdown > docs/clinical-basis.md`,
   `isocourse rules --format markdown > docs/rules.md`, then `python -m pytest tests/unit -q`.
   Record the change in the commit message: the document, its version or date, and what
   changed.

### A new programme or a new lab threshold

Both are data; no code changes.

- **A programme** (a country's pregnancy-prevention programme): a `[programmes.<id>]`
  table in `programmes.toml` (a short `name`, a `title`, the programme's own names for the
  two pregnancy `categories`, a `source`), at least one dated `[[rulesets]]` table with
  `programme = "<id>"`, and its wording in the guide's data (`guide/index.toml`,
  `[programmes.<id>]`: the `words` that name it in a sentence and the `topics` its product
  information adds). The id is then what a course record's `programme` may name: the
  record parser, the JSON Schema of the course record (`isocourse schema --write
  docs/schemas`), `isocourse programmes`, [the alert catalogue](rules.md#programmes), the
  guide and the course summary take it from there. Programme ids named elsewhere
  (`severity_by_programme`, `cross_reactions`, a product's missed-dose advice) must be
  known, or the knowledge refuses to load.
- **A lab threshold**: a `[thresholds.<alert code>]` table in `labs.toml` (the `tests`,
  a `limit` in their canonical unit or a `uln_multiple`, the `comparison`, a `level`, the
  milder thresholds it is raised `in_addition_to`, a `severity_with_symptom` where one
  applies, and a `source`) and the alert's title, severity and message in
  `alerts/labs.toml`. The rules, the lab charts, the course summary, the clinician's guide
  and [the alert catalogue](rules.md#lab-thresholds) all read that one table. A test whose
  results the rules should read needs its `[[tests]]` entry (names, LOINC codes, units and,
  for a multiple of the upper limit of normal, a default `upper_limit_normal`).

### Products: capsule strengths and excipients

isocourse screens allergies and plans capsules from product data: each product's capsule
strengths and the excipients that carry an allergen. Those come from the products' current
US labels (the structured product labels the FDA publishes on DailyMed and through
openFDA). `src/isocourse/knowledge/products.toml` holds one `[products.<id>]` table per
product (`isotretinoin` for generic capsules, `absorica`, `absorica-ld`, `claravis`,
`amnesteem`, `myorisan`, `zenatane`) and, under it, one `[[products.<id>.labels]]` entry per
label the product's data come from:

- `id`: a short name for the label; two products that share one label document (Absorica
  and Absorica LD) cite it under the same `id`;
- `labeler`, `title`: who publishes the label and what it is called;
- `set_id`: the label's DailyMed / openFDA set id, or `"unknown"`;
- `version`, `effective_date`: the SPL version read and its effective date, or `"unknown"`;
- `dailymed_updated`: the date DailyMed showed for the version read, when neither version
  nor effective date was seen;
- `unverified`: why nothing pins the label, when no set id, version or date was found;
- `url`: a public link to the label;
- `strengths_mg`: the capsule strengths this label lists for this product;
- `excipients`: the inactive ingredients read (at least those that carry an allergen);
- `excipient_allergens`: the allergy codes those excipients carry (`soy`, `parabens`,
  `tartrazine`, ...);
- `source`: what was read where, and what was not seen, with its reference ids.

The rules the data follow:

- **Strengths.** A product offers a strength when any of its current labels lists it; where
  generics from different manufacturers differ, each manufacturer's label is its own entry.
  `isocourse plan` names, for every capsule strength in a plan, the label(s) that list it.
- **Allergens.** A product's excipient allergens are the union over all its labels (the
  safe side).
- **Cross-reactions by region.** An allergy that rules a product out because of an
  excipient it does not name lives in `conditions.toml` under `[[cross_reactions]]`, with
  the programmes whose region's product information says so (today: peanut allergy and
  soya oil under `eu-ppp`, `uk-mhra` and `none`).
- **Consistency is checked at start-up.** The knowledge refuses to load when a label's
  `excipients` carry an allergen its `excipient_allergens` do not list (or the other way
  round), when an entry pins no set id, version or date and does not say why
  (`unverified`), when a set id is not a UUID or a link is not `https://`, or when two
  products cite one label `id` with different details.

To update the product data when a label changes:

1. **Download the current label records.** The program never fetches anything. From a
   machine with internet access, ask openFDA for the isotretinoin labels, for example
   `https://api.fda.gov/drug/label.json?search=openfda.generic_name:isotretinoin&limit=100`
   or `https://api.fda.gov/drug/label.json?search=set_id:"<set id>"`, and save each
   response as a `.json` file in one folder.
2. **Run the check**: `isocourse knowledge check --labels DOWNLOADS/`. Each record is
   matched to the label entry that cites its set id, else to an entry without a set id
   whose product has the record's brand name and labeler. It reports, per product:

   - `strength`: the label lists a strength the entry does not give, or no longer lists
     one it gives: correct `strengths_mg`;
   - `allergen`: the label's ingredient list names an allergen-bearing excipient the entry
     does not carry, or no longer names one it carries: correct `excipients` and
     `excipient_allergens`;
   - `newer`: the record is a later version than the one the entry cites: read it, then
     update the data, `version`, `effective_date` and `source`;
   - `citation`: the entry does not pin the label but the record gives a set id, version
     or date: copy them into the entry;
   - `product`: the record's brand matches no product: add a product, or leave it out.

   Exit status: 0 when everything agrees, 1 when there are differences (`--format json`
   gives them to a script), 2 when the folder or a file cannot be read.
3. **Edit `products.toml`** and the label's entry in `references.toml`. Never remove an
   allergen because one manufacturer dropped it while another label still has it.
4. **If an allergy code is new**, add it to `[allergies]` in `conditions.toml` with its
   `excipient_terms` and a source; a region's new cross-reaction is a `[[cross_reactions]]`
   entry with the section of the product information that says so.
5. **Run the check again** until it exits 0, then the tests. The fixtures in
   `tests/fixtures/labels/` show the record form the check reads.
"""


@dataclass
class _Usage:
    alerts: set[str] = field(default_factory=set)
    entries: int = 0
    guide: int = 0


def clinical_basis_markdown(
    knowledge: Knowledge, guide_sources: Mapping[str, str] | None = None
) -> str:
    """The whole page: introduction, references by kind, weak references, maintenance."""
    usage = _usage(knowledge, guide_sources or {})
    references = knowledge.references.references
    lines = [INTRODUCTION, "## References", ""]
    lines.append(
        f"{len(references)} references. Each heading is the id the knowledge cites; "
        '"Cited by" names the alert codes whose source cites it and counts the other '
        "knowledge and guide entries that do."
    )
    for kind, title in KIND_TITLES.items():
        ids = sorted(i for i, r in references.items() if r.kind == kind)
        if not ids:
            continue
        lines += ["", f"### {title}", ""]
        for reference_id in ids:
            lines += _entry(reference_id, references[reference_id], usage.get(reference_id))
    lines += ["", *_weak(references), "", MAINTENANCE]
    return "\n".join(lines).rstrip() + "\n"


def _entry(reference_id: str, reference: Reference, used: _Usage | None) -> list[str]:
    link = (
        f"<{reference.url}>"
        if reference.url and reference.url.startswith("https://")
        else (f"[{reference.url}]({reference.url.removeprefix('docs/')})" if reference.url else "")
    )
    lines = [
        f"#### {reference_id}",
        "",
        f"- **{reference.title}**",
        f"- Issuer: {reference.issuer}; date: {reference.date}; kind: {reference.kind}; "
        f"confidence: **{reference.confidence}**",
        f"- Cited as: {reference.citation}",
        f"- Link: {link}" if link else f"- Link: none. {reference.url_missing}",
        f"- Note: {reference.note}",
        f"- Cited by: {_cited_by(used)}",
        "",
    ]
    return lines


def _cited_by(used: _Usage | None) -> str:
    if used is None:
        return "nothing yet"
    parts = []
    if used.alerts:
        parts.append("alerts " + ", ".join(f"`{code}`" for code in sorted(used.alerts)))
    if used.entries:
        parts.append(f"{used.entries} other knowledge entr{'y' if used.entries == 1 else 'ies'}")
    if used.guide:
        parts.append(f"{used.guide} guide source{'' if used.guide == 1 else 's'}")
    return "; ".join(parts)


def _usage(knowledge: Knowledge, guide_sources: Mapping[str, str]) -> dict[str, _Usage]:
    usage: dict[str, _Usage] = {}
    for where, text in source_texts(knowledge, "knowledge"):
        code = where.removeprefix("knowledge.alerts.").removesuffix(".source")
        is_alert = where.startswith("knowledge.alerts.") and "." not in code
        for cited in {c.id for c in citations(text)}:
            entry = usage.setdefault(cited, _Usage())
            if is_alert:
                entry.alerts.add(code)
            else:
                entry.entries += 1
    for text in guide_sources.values():
        for cited in {c.id for c in citations(text)}:
            usage.setdefault(cited, _Usage()).guide += 1
    return usage


def _weak(references: Mapping[str, Reference]) -> list[str]:
    weak = [
        (i, r)
        for i, r in sorted(references.items())
        if r.kind != "decision" and (r.confidence != "high" or r.url is None)
    ]
    lines = [
        "## References below high confidence or without a link",
        "",
        "Where no primary source could be confirmed, the entry says so; these are the places "
        "to check first when a document becomes available.",
        "",
        "| id | confidence | link | why |",
        "|---|---|---|---|",
    ]
    for reference_id, reference in weak:
        link = "yes" if reference.url else "none"
        why = (reference.url_missing or reference.note).replace("|", "\\|")
        lines.append(
            f"| [{reference_id}](#{reference_id}) | {reference.confidence} | {link} | {why} |"
        )
    return lines
