"""Numbers, durations, dates and lists in plain words, for the guide's templates.

Templates hold no digits; they call these filters on knowledge values:
``{{ weeks(course.usual_course_days.value) }}`` prints ``20``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

_SMALL = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
DAYS_PER_WEEK = 7
DAYS_PER_MONTH = 30


def num(value: float) -> str:
    """A number as a person writes it: ``60``, ``0.5``, ``1.6`` (at most two decimals)."""
    rounded = round(float(value), 2)
    if rounded.is_integer():
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0")


def weeks(days: float) -> str:
    """Days as a number of weeks: ``140`` → ``20``."""
    return num(round(days / DAYS_PER_WEEK, 1))


def duration(days: float) -> str:
    """Days in the plainest unit: ``30`` → ``1 month``, ``56`` → ``8 weeks``, ``7`` → ``7 days``."""
    if days >= DAYS_PER_MONTH and days % DAYS_PER_MONTH == 0:
        return _plural(days / DAYS_PER_MONTH, "month")
    if days >= DAYS_PER_WEEK * 2 and days % DAYS_PER_WEEK == 0:
        return _plural(days / DAYS_PER_WEEK, "week")
    return _plural(days, "day")


def every(days: float) -> str:
    """A repeat interval: ``30`` → ``every month``, ``60`` → ``every 2 months``."""
    text = duration(days)
    return f"every {text.removeprefix('1 ')}" if text.startswith("1 ") else f"every {text}"


def hours(value: float) -> str:
    return _plural(value, "hour")


def percent(fraction: float) -> str:
    """A fraction as a percentage: ``0.7`` → ``70%``."""
    return f"{num(fraction * 100)}%"


def count_word(count: int) -> str:
    """Small counts in words (``2`` → ``two``), larger ones in digits."""
    return _SMALL[count] if 0 <= count < len(_SMALL) else str(count)


def listing(items: Iterable[str], last: str = "and") -> str:
    """``a, b and c`` (or ``a, b or c`` with ``last="or"``)."""
    words = [item for item in items if item]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def first_upper(text: str) -> str:
    """``liver disease`` → ``Liver disease`` (the rest is left as it is)."""
    return text[:1].upper() + text[1:]


def day(value: date) -> str:
    """A date as ``15 March 2026`` (unambiguous in every country)."""
    return f"{value.day} {value:%B %Y}"


def _plural(value: float, unit: str) -> str:
    text = num(value)
    return f"{text} {unit}" if text == "1" else f"{text} {unit}s"
