"""What a stale form says changed meanwhile: the case page's sentence and a meeting's,
from the values the form remembered (its ``seen_*`` fields) against the current ones."""

from __future__ import annotations

from services.console.entrypoints.formatting import jst_date
from services.console.entrypoints.pages.case import changed_since
from services.console.entrypoints.pages.conferences import SEEN_FIELDS


def test_a_meeting_says_which_of_its_fields_changed_or_that_records_were_added() -> None:
    seen = {"status_label": "予定", "held_on": "2026-12-03"}
    now = {"status_label": "開催済", "held_on": "2026-12-02"}
    said = changed_since(seen, now, SEEN_FIELDS, "この会議", {"held_on": jst_date})
    assert said == (
        "あなたがこのページを開いた後に、状態が「予定」から「開催済」に、"
        f"開催日が「{jst_date('2026-12-03')}」から「{jst_date('2026-12-02')}」に変わりました。"
    )
    unchanged = changed_since(seen, dict(seen), SEEN_FIELDS, "この会議")
    assert unchanged == "あなたがこのページを開いた後に、この会議に記録が追加されました。"
    # A form without the seen fields (an older page) says only that records were added.
    assert changed_since({}, now, SEEN_FIELDS, "この会議").endswith("この会議に記録が追加されました。")
