"""What every page's template receives: the person, their navigation, the unread count,
the CSRF token, notices after a redirect; and a few shapes pages share."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from services.console.adapters.backend import ApiError, ServiceUnavailable
from services.console.domain.accounts import grant_label
from services.console.domain.second_factor import may_enrol
from services.console.entrypoints.web import console_of
from services.console.handlers.signin import SignedIn

# お知らせ is in the header (with the unread count) for every role that has notifications.
NAV: dict[str, list[tuple[str, str]]] = {
    "coordinator": [
        ("/queue", "キュー"),
        ("/activities", "地域の活動"),
        ("/overdue", "期限超過"),
        ("/approvals", "承認"),
        ("/community-issues", "地域課題"),
        ("/conferences", "会議"),
    ],
    "supervisor": [
        ("/dashboard", "ダッシュボード"),
        ("/queue", "キュー(全圏域)"),
        ("/activities", "地域の活動"),
        ("/overdue", "期限超過"),
        ("/approvals", "承認"),
        ("/community-issues", "地域課題"),
        ("/audit", "ケース監査"),
        ("/conferences", "会議"),
        ("/operations", "運用状況"),
        ("/admin/accounts", "アカウント"),
    ],
    "agency": [("/inbox", "届いた依頼"), ("/conferences", "会議")],
    "reporter": [("/report", "相談する"), ("/my", "わたしの相談")],
    "helper": [("/helper", "わたしへの依頼")],
    "account_admin": [("/admin/accounts", "アカウント")],
}
HOME = {
    "coordinator": "/queue",
    "supervisor": "/dashboard",
    "agency": "/inbox",
    "reporter": "/report",
    "helper": "/helper",
    "account_admin": "/admin/accounts",
}
SEARCH_ROLES = ("coordinator", "supervisor")

# Messages shown after a redirect (?notice=…): codes only, never text from the URL.
NOTICES: dict[str, tuple[str, str]] = {
    "signed_in": ("success", "サインインしました。"),
    "password_changed": ("success", "パスワードを変更しました。"),
    "role_chosen": ("success", "役割を切り替えました。"),
    "assigned": ("success", "担当を決めました。"),
    "status_changed": ("success", "状態を変更しました。"),
    "triaged": ("success", "優先度・相談分類を保存しました。"),
    "consent_recorded": ("success", "本人同意・法的根拠を記録しました。"),
    "contact_added": ("success", "接触記録を追加しました。"),
    "note_added": ("success", "メモを追加しました。"),
    "watch_started": ("success", "見守りを始めました。確認の予定日を過ぎると、見守る人から順にお知らせします。"),
    "checked_in": ("success", "見守りの確認を記録しました。"),
    "watch_changed": ("success", "見守り計画を変えました。次の確認の予定日を計算し直しました。"),
    "watch_ended": ("success", "見守りを終えました。"),
    "helper_task_given": ("success", "地域の支援者に依頼しました。支援者のお知らせに届きます。"),
    "helper_task_cancelled": ("success", "支援者への依頼を取り消しました。"),
    "task_accept": ("success", "依頼を引き受けました。様子を確かめたら確認を記録してください。"),
    "task_decline": ("success", "依頼を辞退しました。コーディネーターに伝わります。"),
    "task_done": ("success", "依頼を完了にしました。ありがとうございました。"),
    "task_checked_in": ("success", "確認を記録しました。"),
    "activity_recorded": ("success", "活動を記録しました。活動件数に数えます。"),
    "member_added": ("success", "世帯員を追加しました。"),
    "conference_planned": ("success", "会議を予定しました。開いたら「開催した」を記録してください。"),
    "conference_recorded": ("success", "会議の記録を保存しました。"),
    "member_needs_recorded": ("success", "世帯員のニーズ(分類・同意・言語)を記録しました。"),
    "referred": ("success", "紹介を依頼しました。紹介先の受領確認を待っています。"),
    "merged": ("success", "ケースを統合しました。"),
    "merge_undone": ("success", "統合を取り消しました。"),
    "offer_dismissed": ("success", "統合候補を退けました。"),
    "attention_cleared": ("success", "辞退への対応を済にしました。"),
    "moved": ("success", "担当圏域を変更しました。"),
    "read": ("success", "既読にしました。"),
    "approval_requested": ("success", "監督者に承認を依頼しました。判断が出るとお知らせが届きます。"),
    "approval_decided": ("success", "判断を記録しました。承認した操作はシステムが行いました。"),
    "approval_withdrawn": ("success", "承認の依頼を取り下げました。"),
    "issue_moved": ("success", "地域課題の状態を進めました。"),
    "need_recorded": (
        "success",
        "サービスがないニーズを記録しました。同じ圏域のニーズは「地域課題」にまとめられます。",
    ),
    "issue_raised": ("success", "ニーズを地域課題にまとめました。"),
    "needs_added": ("success", "地域課題にニーズを加えました。"),
    "account_saved": ("success", "アカウントを保存しました。"),
    "second_factor_reset": ("success", "2段階認証を解除しました。次のサインインで本人が設定し直します。"),
    "submitted": ("success", "相談を受け付けました。"),
    "referral_acknowledge": ("success", "確認したことを記録しました。期限までに受諾か辞退を決めてください。"),
    "referral_accept": ("success", "受諾しました。コーディネーターに伝わります。"),
    "referral_decline": ("success", "辞退しました。理由とともにコーディネーターに伝わります。"),
    "referral_start": ("success", "対応の開始を記録しました。"),
    "referral_hold": ("success", "保留にしました。"),
    "referral_resume": ("success", "再開しました。"),
    "referral_complete": ("success", "完了を報告しました。"),
    "referral_fail": ("success", "不成立を報告しました。理由とともにコーディネーターに伝わります。"),
}


def refusal_errors(
    exc: ApiError,
    *,
    shown: Collection[int] = (400, 409, 422),
    field: Callable[[str], str] = lambda name: name,
    whole: str = "_form",
) -> dict[str, str]:
    """A form's errors from a service's refusal of it, to show beside its fields: each
    field's message under the form's name for it (``field``), else the problem's detail
    for the whole form (``whole``). A refusal of another status is not the form's to
    answer: raised again (the console's error page)."""
    if exc.status not in shown:
        raise exc
    errors = {field(name): message for name, message in exc.field_errors().items()}
    return errors or {whole: exc.detail}


def home_of(who: SignedIn) -> str:
    if who.chosen is None:
        return "/choose"
    return HOME.get(who.chosen.grant.role, "/choose")


@dataclass(frozen=True)
class UserView:
    display_name: str
    account_id: str
    role_label: str
    can_switch_role: bool
    can_enrol: bool  # staff: the header links to their second factor


async def unread_count(request: Request, who: SignedIn) -> int | None:
    """The header's badge; a page still shows if notify cannot answer."""
    if who.chosen is None or not who.chosen.grant.uses_services:
        return None
    try:
        inbox = await console_of(request).backend.get(
            "notify", "/v1/notifications", who, params={"unread": "true", "limit": 1}
        )
    except (ApiError, ServiceUnavailable):
        return None
    return int(inbox.get("unread_count") or 0)


async def page(request: Request, who: SignedIn | None, title: str, **context: Any) -> dict[str, Any]:
    console = console_of(request)
    role = who.chosen.grant.role if who and who.chosen else None
    path = request.url.path
    flashes = list(context.pop("flashes", []))
    notice = NOTICES.get(request.query_params.get("notice", ""))
    if notice:
        flashes.insert(0, {"kind": notice[0], "title": notice[1], "body": None})
    base: dict[str, Any] = {
        "page_title": title,
        "sample": console.reference.sample,
        "flashes": flashes,
        "user": None,
        "nav": [],
        "unread_count": None,
        "search_enabled": False,
        "csrf_token": None,
        "search_q": "",
    }
    if who is not None:
        base.update(
            user=UserView(
                display_name=who.display_name,
                account_id=who.account_id,
                role_label=grant_label(who.chosen.grant, console.reference.live) if who.chosen else "役割を選択",
                can_switch_role=len(who.grants) > 1,
                can_enrol=may_enrol(h.grant for h in who.grants),
            ),
            nav=[
                {"href": href, "text": text, "current": path == href or path.startswith(href + "/")}
                for href, text in NAV.get(role or "", [])
            ],
            unread_count=await unread_count(request, who),
            search_enabled=role in SEARCH_ROLES,
            csrf_token=who.csrf_token,
        )
    base.update(context)
    return base


@dataclass
class Pager:
    page: int
    pages: int
    total: int
    prev_href: str | None = None
    next_href: str | None = None
    links: list[dict[str, Any]] = field(default_factory=list)


def pager(
    page_no: int,
    per_page: int,
    total: int,
    base: str,
    params: list[tuple[str, str]],
    *,
    key: str = "page",
    fragment: str = "",
) -> Pager:
    """Numbered links around the current page, keeping every other parameter. ``key``:
    the page's parameter (a page with two lists pages each by its own); ``fragment``: the
    list's anchor, so a link lands on the list rather than the top of the page."""
    pages = max(1, math.ceil(total / per_page))
    anchor = f"#{fragment}" if fragment else ""

    def href(n: int) -> str:
        return f"{base}?{urlencode([*[(k, v) for k, v in params if k != key], (key, str(n))])}{anchor}"

    shown = sorted({1, pages, *range(max(1, page_no - 2), min(pages, page_no + 2) + 1)})
    links: list[dict[str, Any]] = []
    for n in shown:
        if links and links[-1]["number"] is not None and n - links[-1]["number"] > 1:
            links.append({"number": None, "href": None, "current": False})
        links.append({"number": n, "href": href(n), "current": n == page_no})
    return Pager(
        page=page_no,
        pages=pages,
        total=total,
        prev_href=href(page_no - 1) if page_no > 1 else None,
        next_href=href(page_no + 1) if page_no < pages else None,
        links=links,
    )
