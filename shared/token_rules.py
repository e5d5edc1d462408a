"""Whom a token may speak for: the rules every service applies to a token's subject, role
and scope once its signature and times are good, and that ``tsunagi token`` applies
before it signs one. No I/O: the reference data and the accounts are handed in.

- subject: required, not blank (it is the person every event and audit line names);
- coordinator: scope = a daily-life area of ``geography.yaml`` (or 市全域); a subject
  listed in ``coordinators.yaml`` only for their own area (or 市全域);
- agency: scope = an agency of ``agencies.yaml``;
- supervisor: scope = ``city``;
- helper: scope = a daily-life area of ``geography.yaml`` (a community helper works in one);
- reporter: scope = the subject (a reporter acts as themself: the console gives each
  reporter account the grant ``reporter`` / its own id, and intake files a consultation
  under the subject);
- an account the service knows (``access.py``, from the console's ``account.*`` events)
  must not be disabled and must hold the grant (role, scope) the token claims, whoever
  signed it. A subject no account has is accepted only on a token the console signed
  (its account event may still be on its way) or on a development-key token, which only
  the embedded and test modes accept at all (synthetic subjects of tests and scripts)."""

from __future__ import annotations

from shared.access import AccessRegistry
from shared.reference import CITY_WIDE, ReferenceData

SUPERVISOR_SCOPE = "city"
MAX_SUBJECT = 128


def scope_refusal(*, subject: str, role: str, scope: str, reference: ReferenceData) -> str | None:
    """Why the subject, role and scope contradict the reference data (Japanese), or None."""
    if not subject.strip():
        return "トークンに利用者(sub)がありません。"
    if len(subject) > MAX_SUBJECT or not subject.isprintable():
        return "トークンの利用者(sub)が不正です。"
    if role == "coordinator" and scope not in reference.area_ids():
        return f"コーディネーターの範囲「{scope}」は圏域(geography.yaml)にありません。"
    if role == "agency" and reference.agency(scope) is None:
        return f"機関「{scope}」は機関名簿(agencies.yaml)にありません。"
    if role == "helper" and scope not in reference.ids("areas"):
        return f"地域の支援者の範囲「{scope}」は日常生活圏域(geography.yaml)にありません。"
    if role == "supervisor" and scope != SUPERVISOR_SCOPE:
        return f"監督者の範囲は「{SUPERVISOR_SCOPE}」だけです。"
    if role == "reporter" and scope != subject:
        return "相談を寄せる人のトークンの範囲は、その人の利用者ID(sub)と同じでなければなりません。"
    return None


def token_refusal(
    *,
    subject: str,
    role: str,
    scope: str,
    session_id: str | None,
    reference: ReferenceData,
    access: AccessRegistry | None,
) -> str | None:
    """Why a token with these claims must be refused (Japanese, for the 401), or None.
    ``session_id``: the console session of a console-signed token (None: development key)."""
    refusal = scope_refusal(subject=subject, role=role, scope=scope, reference=reference)
    if refusal is None and access is not None:
        refusal = access.refusal(subject=subject, role=role, scope=scope, session_id=session_id)
        if refusal is None and access.knows(subject):
            return None  # the account's grants are the authority, even over coordinators.yaml
    if refusal is None and role == "coordinator":
        listed = reference.coordinator(subject)
        if listed is not None and scope not in (listed.area, CITY_WIDE):
            refusal = f"「{subject}」は参照データでは{listed.area}の担当です。"
    return refusal
