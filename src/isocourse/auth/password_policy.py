"""The password policy, at every door that sets a password (the command line, the admin
page's reset, a patient's invitation, a change): after NIST SP 800-63B, length and a
check against guessable passwords, no composition rules.

A password must have at least ``MIN_PASSWORD_LENGTH`` characters (at most
``MAX_PASSWORD_LENGTH``), must not be or contain the user's e-mail or its local part,
and must not be easy to guess: zxcvbn (Dropbox's strength estimator, maintained on PyPI
as ``zxcvbn``) estimates the guesses an attacker needs, knowing common passwords,
words, names, repeats (``aaaaaaaaaaaa``), sequences and keyboard runs (``qwertyuiopas``),
and the user's e-mail and this program's words; a score under ``MIN_SCORE`` (3 of 4:
fewer than about 10^8 guesses) is refused. zxcvbn reads at most its first
``_ESTIMATED_LENGTH`` characters; a longer password is judged by them.
"""

from __future__ import annotations

from typing import Final

MIN_PASSWORD_LENGTH: Final = 12
MAX_PASSWORD_LENGTH: Final = 256
MIN_SCORE: Final = 3
_ESTIMATED_LENGTH: Final = 72
#: words an attacker would try first on this system
_CONTEXT_WORDS: Final = ("isocourse", "isotretinoin", "accutane", "roaccutane", "clinic")


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
    return _guessable(password, email)


def _guessable(password: str, email: str) -> str | None:
    from zxcvbn import zxcvbn  # its word lists load on first use, not at start-up

    inputs = [email, email.split("@", 1)[0], *_CONTEXT_WORDS]
    estimate = zxcvbn(password[:_ESTIMATED_LENGTH], user_inputs=inputs)
    if int(estimate["score"]) >= MIN_SCORE:
        return None
    warning = str(estimate["feedback"].get("warning") or "").strip()
    why = f" ({warning.rstrip('.')})" if warning else ""
    return (
        f"too easy to guess{why}: avoid common words, repeats and keyboard runs; "
        "choose a longer phrase of unrelated words"
    )
