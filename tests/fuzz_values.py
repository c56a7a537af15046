"""Values a careless or hostile client sends, as Hypothesis strategies, for the fuzz tests
of the API and the pages: numbers that are not finite or far out of range, dates at the
ends of the calendar, huge and control-character strings, unicode, empty text.

Each strategy draws text (what a form field or a query parameter carries); the
``*_json`` strategies draw JSON values (what an API body carries), NaN and Infinity
included (sent with ``allow_nan``, as a careless client's JSON library would).
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

from hypothesis import strategies as st

#: numbers as text: not finite, far out of range, not numbers at all
ODD_NUMBERS: Final = (
    "NaN",
    "nan",
    "-NaN",
    "inf",
    "-inf",
    "Infinity",
    "-Infinity",
    "1e300",
    "-1e300",
    "1e400",
    "1e-320",
    "0",
    "-0",
    "-1",
    "401",
    "0.0000001",
    "9" * 400,
    "0x10",
    "1_000",
    "1,5",
    " 40 ",
    "40mg",
    "",
)
#: dates as text: the ends of the calendar, impossible days, other formats
ODD_DATES: Final = (
    "9999-12-31",
    "0001-01-01",
    "1899-12-31",
    "2101-01-01",
    "2026-02-30",
    "2026-13-01",
    "20261122",
    "2026-11-22T10:00:00",
    "22/11/2026",
    "-2026-11-22",
    "+12026-11-22",
    "",
)
#: strings that break things that assume "a short line of text"
ODD_TEXTS: Final = (
    "",
    " ",
    "\x00",
    "a\nb",
    "line\r\nbreak",
    "\t\x0b\x0c",
    "\x1b[31mred",
    "\u202eevil",
    "\ufeffbom",
    "🙂" * 50,
    "Zoë Ångström",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "'; DROP TABLE events; --",
    "../../etc/passwd",
    "%00",
    "x" * 2_001,
    "y" * 100_000,
)
HUGE_TEXT: Final = "z" * 900_000  # the 900 KB symptom text (under the 1 MB body limit)


def odd_text(*, huge: bool = True) -> st.SearchStrategy[str]:
    """Any of the odd values above, or generated unicode (control characters included);
    with ``huge``, sometimes 900 KB of text."""
    generated = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)
    odd = st.one_of(st.sampled_from(ODD_NUMBERS + ODD_DATES + ODD_TEXTS), generated)
    # built, not ``just``: the strategy's own description stays short
    return st.one_of(odd, st.just(None).map(lambda _: HUGE_TEXT)) if huge else odd


def odd_number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD_NUMBERS),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    )


def odd_date_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(ODD_DATES), st.dates().map(lambda d: d.isoformat()))


def odd_json_scalar(*, huge: bool = True) -> st.SearchStrategy[Any]:
    """A JSON scalar: odd numbers (NaN, Infinity, 1e300 ...), odd text, booleans, null."""
    return st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 0, -1, 401, 10**30]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(),
        st.booleans(),
        st.none(),
        odd_text(huge=huge),
    )


def odd_json() -> st.SearchStrategy[Any]:
    """A JSON value: an odd scalar, or a (small) list or object of them."""
    nested = st.recursive(
        odd_json_scalar(huge=False),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=12), inner, max_size=3)
        ),
        max_leaves=6,
    )
    return st.one_of(odd_json_scalar(), nested)


def json_body(value: Any) -> bytes:
    """``value`` as a careless client's JSON: NaN and Infinity written as bare words."""
    return json.dumps(value, allow_nan=True).encode()
