"""The second factor (TOTP, RFC 6238, with one-time recovery codes): who must have one,
what a typed code looks like, and which codes are spent. No I/O.

Supervisors and account administrators always need one (they read everything or hand
out access); the other staff roles and community helpers when the settings say so; reporters never (they
raise consultations from a phone, often once)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from services.console.domain.accounts import Grant

ALWAYS_REQUIRED = ("supervisor", "account_admin")
OPTIONAL = ("coordinator", "agency", "helper")
RECOVERY_CODES = 10
# Unambiguous letters and digits (no 0/o, 1/l/i): read from paper, typed by hand.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
TOTP_DIGITS = 6
# Codes of the step before and after the current one are accepted (clock drift, slow typing).
TOTP_WINDOW = 1

_TOTP = re.compile(rf"^\d{{{TOTP_DIGITS}}}$")


def required(grants: Iterable[Grant], optional_required: Iterable[str] = ()) -> bool:
    """Whether an account holding these grants must sign in with a second factor."""
    roles = set(ALWAYS_REQUIRED) | (set(optional_required) & set(OPTIONAL))
    return any(g.role in roles for g in grants)


def may_enrol(grants: Iterable[Grant]) -> bool:
    """Staff may add one of their own accord; an account that only reports may not."""
    return any(g.role != "reporter" for g in grants)


def normalise(code: str) -> str:
    """What was typed, without spaces and hyphens, in lower case."""
    return re.sub(r"[\s\-]", "", code).lower()


def is_totp_code(code: str) -> bool:
    return bool(_TOTP.fullmatch(normalise(code)))


def is_recovery_code(code: str) -> bool:
    typed = normalise(code)
    return len(typed) == RECOVERY_LENGTH and all(c in RECOVERY_ALPHABET for c in typed)


def shown(recovery_code: str) -> str:
    """``abcde-fghjk``: two halves read more easily."""
    half = RECOVERY_LENGTH // 2
    return f"{recovery_code[:half]}-{recovery_code[half:]}"


def is_fresh(step: int, last_step: int | None) -> bool:
    """A code is refused when its time step is the last one accepted or before it while
    that one is still inside the window (someone who saw the code typed cannot reuse it);
    a clock set back by more than the window starts afresh."""
    if last_step is None:
        return True
    return not (0 <= last_step - step <= 2 * TOTP_WINDOW)
