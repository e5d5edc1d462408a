"""Every event about a case reaches its timeline: walked over the event catalogue, each
type whose contract carries a case id is either the case service's own (recorded as it
is emitted) or one the case service applies, and the timeline has a label for it."""

from __future__ import annotations

from services.case.domain.timeline import LABELS
from shared.asyncapi.committed import consumed_types
from shared.events import EVENT_TYPES


def test_every_event_that_names_a_case_is_on_its_timeline() -> None:
    applied = set(consumed_types()["case"])
    about_a_case = {t: m for t, m in EVENT_TYPES.items() if "case_id" in m.model_fields}
    assert {"referral.sharing_restricted", "notification.delivery_failed"} <= set(about_a_case)
    missing = [t for t, m in about_a_case.items() if m.PUBLISHER != "case" and t not in applied]
    assert not missing, f"events about a case the case service does not record: {missing}"
    unlabelled = [t for t in about_a_case if t not in LABELS]
    assert not unlabelled, f"timeline entries without a label: {unlabelled}"
