"""The password policy for new users (after NIST SP 800-63B: length, no blocklisted
or context-derived passwords; no composition rules).

A password must have at least ``MIN_PASSWORD_LENGTH`` characters (at most
``MAX_PASSWORD_LENGTH``), must not be or contain the user's e-mail or its local
part, and must not be one of the commonly used passwords below (compared ignoring
case, spaces and a trailing run of digits).
"""

from __future__ import annotations

import re
from typing import Final

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 256

#: a small blocklist: the most common leaked passwords long enough to pass the length rule,
#: and their stems (e.g. "password" covers "Password123456")
COMMON_PASSWORDS: Final = frozenset(
    {
        "password",
        "passw0rd",
        "qwerty",
        "qwertyuiop",
        "asdfghjkl",
        "iloveyou",
        "letmein",
        "welcome",
        "admin",
        "administrator",
        "abc",
        "abcdefghijkl",
        "changeme",
        "trustno1",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "dragon",
        "monkey",
        "starwars",
        "whatever",
        "superman",
        "isotretinoin",
        "isocourse",
        "",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "zaq12wsx",
    }
)


def password_problem(password: str, *, email: str) -> str | None:
    """What is wrong with ``password`` for the user ``email``, or None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"at most {MAX_PASSWORD_LENGTH} characters"
    folded = password.casefold()
    local_part = email.casefold().split("@", 1)[0]
    if email.casefold() in folded or (len(local_part) >= 4 and local_part in folded):
        return "must not contain your e-mail address or its name part"
    if _stem(folded) in COMMON_PASSWORDS:
        return "too common: choose a longer phrase of unrelated words"
    return None


def _stem(folded: str) -> str:
    """The password without spaces and without a trailing run of digits or symbols."""
    return re.sub(r"[\d\W_]+$", "", folded.replace(" ", ""))
