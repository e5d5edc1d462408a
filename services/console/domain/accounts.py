"""Accounts and grants: who a person may act as. No I/O.

One account per person; each account holds grants (role + scope):

- coordinator: scope = a daily-life area (or 市全域); the account id is the person's
  coordinator id in ``reference/coordinators.yaml``, whose area the grant must match
  (cases are assigned to coordinator ids, so the two must never disagree);
- agency: scope = an agency id from ``reference/agencies.yaml``;
- supervisor: scope = ``city``;
- reporter: scope = the account's own id, with the reporter's kind (民生委員・児童委員,
  ほっとネット推進員, …) from ``reference/reporters.yaml``;
- helper: scope = the daily-life area the community helper works in, with their kind
  (ほっとネット推進員, 民生委員・児童委員, 協力員) from ``helper_kinds`` of
  ``reference/reporters.yaml``; held beside their reporter grant;
- account_admin: scope = ``city``; manages accounts in the console only (the services
  never see this role).

A grant that contradicts the reference data is refused with a message that says which
part and why."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.errors import InvalidInput
from shared.reference import CITY_WIDE, ReferenceData

CITY = "city"
SERVICE_ROLES = ("coordinator", "agency", "supervisor", "reporter", "helper")
ROLES = (*SERVICE_ROLES, "account_admin")
ROLE_LABELS = {
    "coordinator": "コーディネーター",
    "agency": "関係機関",
    "supervisor": "監督者",
    "reporter": "相談を寄せる人",
    "helper": "地域の支援者",
    "account_admin": "アカウント管理",
}

ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 128


@dataclass(frozen=True)
class Grant:
    role: str
    scope: str
    kind: str | None = None  # a reporter's or a community helper's kind

    @property
    def key(self) -> tuple[str, str]:
        return (self.role, self.scope)

    @property
    def uses_services(self) -> bool:
        """Whether the console hands out API tokens for it."""
        return self.role in SERVICE_ROLES


def check_account_id(account_id: str) -> str:
    if not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidInput(
            "アカウントIDは半角英小文字・数字と . _ - で、2〜64文字にしてください(先頭は英小文字か数字)。",
            field="account_id",
        )
    return account_id


def check_display_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("表示名を100文字以内で入力してください。", field="display_name")
    return name


def check_password(password: str, account_id: str) -> str:
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise InvalidInput(f"パスワードは{MIN_PASSWORD}〜{MAX_PASSWORD}文字にしてください。", field="password")
    if password.strip().lower() == account_id.lower():
        raise InvalidInput("アカウントIDと同じパスワードは使えません。", field="password")
    return password


def check_grant(account_id: str, grant: Grant, reference: ReferenceData) -> Grant:
    """The grant, normalised, or a 422 naming what contradicts the reference data."""
    if grant.role not in ROLES:
        raise InvalidInput(f"役割「{grant.role}」はありません(使える値: {' / '.join(ROLES)})。", field="role")
    if grant.role == "coordinator":
        return _coordinator(account_id, grant, reference)
    if grant.role == "agency":
        if reference.agency(grant.scope) is None:
            raise InvalidInput(f"機関「{grant.scope}」は機関名簿(agencies.yaml)に登録されていません。", field="scope")
        return Grant("agency", grant.scope)
    if grant.role == "reporter":
        if grant.kind not in reference.ids("reporter_roles"):
            raise InvalidInput(
                f"相談を寄せる人の区分「{grant.kind or ''}」は reporters.yaml に登録されていません。", field="kind"
            )
        # A reporter acts as themself: the scope is their own id.
        return Grant("reporter", account_id, grant.kind)
    if grant.role == "helper":
        return _helper(grant, reference)
    if grant.scope != CITY:
        raise InvalidInput(f"{ROLE_LABELS[grant.role]}の範囲は「{CITY}」(市全体)だけです。", field="scope")
    return Grant(grant.role, CITY)


def _coordinator(account_id: str, grant: Grant, reference: ReferenceData) -> Grant:
    if grant.scope not in reference.area_ids():
        raise InvalidInput(
            f"圏域「{grant.scope}」はありません(使える値: {' / '.join(sorted(reference.area_ids()))})。", field="scope"
        )
    listed = next((c for c in reference.coordinators if c.id == account_id), None)
    if listed is None:
        raise InvalidInput(
            f"「{account_id}」は coordinators.yaml に登録されたコーディネーターではありません。"
            "先に参照データに登録してください。",
            field="account_id",
        )
    if grant.scope != CITY_WIDE and listed.area != grant.scope:
        raise InvalidInput(
            f"「{account_id}」は参照データでは{listed.area}の担当です。"
            f"{grant.scope}の権限を付けるには、先に coordinators.yaml の圏域を変更してください。",
            field="scope",
        )
    return Grant("coordinator", grant.scope)


def _helper(grant: Grant, reference: ReferenceData) -> Grant:
    areas = sorted(reference.ids("areas"))
    if grant.scope not in areas:
        raise InvalidInput(
            f"地域の支援者の圏域「{grant.scope}」はありません(使える値: {' / '.join(areas)})。", field="scope"
        )
    if grant.kind not in reference.ids("helper_kinds"):
        kinds = " / ".join(k.id for k in reference.helper_kinds)
        raise InvalidInput(
            f"地域の支援者の区分「{grant.kind or ''}」は reporters.yaml の helper_kinds にありません"
            f"(使える値: {kinds})。",
            field="kind",
        )
    return Grant("helper", grant.scope, grant.kind)


def grant_label(grant: Grant, reference: ReferenceData | None = None) -> str:
    """「コーディネーター(中部)」「関係機関(サンプル地域包括支援センター第3)」…"""
    role = ROLE_LABELS.get(grant.role, grant.role)
    if grant.role == "agency":
        agency = reference.agency(grant.scope) if reference else None
        return f"{role}({agency.name if agency else grant.scope})"
    if grant.role == "reporter":
        return f"{role}({grant.kind})" if grant.kind else role
    if grant.role == "helper":
        return f"{role}({grant.kind}・{grant.scope})"
    if grant.scope == CITY:
        return role
    return f"{role}({grant.scope})"
