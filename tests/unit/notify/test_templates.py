"""Notification texts: every template renders, and no template can show a recipient
what it may not see."""

from __future__ import annotations

import pytest

from services.notify.domain.templates import ALLOWED, TemplateBook, TemplateError
from services.notify.handlers.context import load_templates

BOOK = load_templates()
EVERYTHING = {
    "agency_name": "サンプル地域包括支援センター第3",
    "referral_ref": "01REF",
    "urgency": "通常",
    "deadline": "2026-11-25 00:00:00 JST",
    "step_label": "受領確認",
    "late": "1営業日目",
    "case_number": "C-2611-0001",
    "area": "中部",
    "reason": "定員超過",
    "channel_label": "メール",
    "recipient": "hc-3",
    "notification_title": "新しい依頼",
    "attempts": 3,
    "error": "timeout",
    "task_kind": "見守り",
    "helper_id": "suishin-1",
    "person_name": "西東京 花子",
    "noticed": "近所で見かけない",
}


@pytest.mark.parametrize("kind", sorted(BOOK.templates))
def test_every_template_renders_in_japanese_without_personal_data(kind: str) -> None:
    template = BOOK.templates[kind]
    rendered = BOOK.render(kind, template.recipient, EVERYTHING)
    assert rendered.title and rendered.body
    assert "$" not in rendered.title + rendered.body
    assert "西東京 花子" not in rendered.body and "近所で見かけない" not in rendered.body


def test_reporter_texts_carry_no_details() -> None:
    for kind, template in BOOK.templates.items():
        if template.recipient == "reporter":
            assert template.placeholders() == set(), kind
            text = BOOK.render(kind, "reporter", EVERYTHING).body
            assert "C-2611-0001" not in text and "中部" not in text


def test_agency_texts_never_see_the_case_or_the_reason() -> None:
    assert "case_number" not in ALLOWED["agency"] and "reason" not in ALLOWED["agency"]


def test_a_template_asking_for_a_forbidden_field_is_refused_on_load() -> None:
    with pytest.raises(TemplateError, match="may not see"):
        TemplateBook.from_mapping({"x": {"recipient": "reporter", "title": "t", "body": "$case_number"}})
    with pytest.raises(TemplateError, match="may not see"):
        TemplateBook.from_mapping({"x": {"recipient": "agency", "title": "t", "body": "$reason"}})
    with pytest.raises(TemplateError, match="unknown recipient"):
        TemplateBook.from_mapping({"x": {"recipient": "mayor", "title": "t", "body": "b"}})


def test_wrong_recipient_or_missing_value_is_an_error() -> None:
    with pytest.raises(TemplateError):
        BOOK.render("referral_new", "reporter", EVERYTHING)
    with pytest.raises(TemplateError, match="no value"):
        BOOK.render("referral_new", "agency", {"agency_name": "x"})


def test_missing_reason_reads_as_not_given() -> None:
    body = BOOK.render("referral_declined", "coordinator", {**EVERYTHING, "reason": None}).body
    assert "理由: (未記入)" in body
