"""Reading age of the guide's text: the Flesch-Kincaid grade, computed offline.

``grade_level(text)`` = 0.39 × words per sentence + 11.8 × syllables per word − 15.59,
with syllables counted by vowel groups (a standard approximation). A line (a list
item, a heading) counts as a sentence. Markdown marks and source markers are removed
first by :func:`plain_text`. Grade 9 is about a reading age of 14.
"""

from __future__ import annotations

import re

from isocourse.guide.sourcing import strip_markers

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)?")
_SENTENCE_END = re.compile(r"[.!?:;]+\s|\n+")
_VOWELS = re.compile(r"[aeiouy]+")
_MARKS = re.compile(r"[*_#>`|]")


def plain_text(markdown: str) -> str:
    """Markdown as plain text: no source markers, emphasis, heading or quote marks."""
    lines = [re.sub(r"^\s*[-+]\s+", "", line) for line in strip_markers(markdown).splitlines()]
    return _MARKS.sub("", "\n".join(lines))


def syllables(word: str) -> int:
    """Syllables of one word, approximately (a number counts as one)."""
    lower = word.casefold()
    if not lower.isalpha():
        return 1
    count = len(_VOWELS.findall(lower))
    if lower.endswith("e") and not lower.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(count, 1)


def grade_level(text: str) -> float:
    """The Flesch-Kincaid grade of ``text`` (0.0 for text without words)."""
    plain = plain_text(text)
    words = _WORD.findall(plain)
    if not words:
        return 0.0
    sentences = [part for part in _SENTENCE_END.split(plain + "\n") if _WORD.search(part)]
    per_sentence = len(words) / max(len(sentences), 1)
    per_word = sum(syllables(word) for word in words) / len(words)
    return 0.39 * per_sentence + 11.8 * per_word - 15.59
