"""Referrals accepted within their own deadline, per agency kind and period
(GET /v1/referrals/figures), on both databases: on time, late, declined, still within
the deadline, past it unanswered, cancelled before it, and undeliverable."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx

from shared.clock import FrozenClock
from tests.integration.referral.referral_support import publish, requested
from tests.support.services import bearer, eventually, running_service

HC = "地域包括支援センター"  # 3 business days to decide (followups.yaml default)
NPO = "NPO"  # 5 business days


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 1, 0, tzinfo=UTC)  # 10:00 JST


async def _arrived(referral: httpx.AsyncClient, headers: dict, count: int) -> None:
    async def all_there() -> bool:
        return (await referral.get("/v1/referrals", headers=headers)).json()["total"] == count

    await eventually(all_there, what=f"{count} referrals received")


async def _move(referral: httpx.AsyncClient, rid: str, action: str, headers: dict, **body: str) -> None:
    moved = await referral.post(f"/v1/referrals/{rid}/{action}", headers=headers, json={"version": 1, **body})
    assert moved.status_code == 200, moved.text


def _kind(figures: dict, kind: str) -> dict:
    return next(k for k in figures["by_agency_kind"] if k["agency_kind"] == kind)


async def test_accepted_within_deadline_per_agency_kind(make_settings, database_backend) -> None:
    settings = make_settings()
    clock = FrozenClock(_at(10, 20))
    sv, chubu = bearer(settings, "supervisor", "city"), bearer(settings, "coordinator", "中部")
    hc3, hc5 = bearer(settings, "agency", "hc-3"), bearer(settings, "agency", "hc-5")
    npo = bearer(settings, "agency", "npo-hikikomori")
    async with running_service("referral", settings, clock) as referral:
        # October: one accepted the next day.
        await publish(settings, requested("r-oct", occurred_at=clock.now()))
        await _arrived(referral, sv, 1)
        clock.at = _at(10, 21)
        await _move(referral, "r-oct", "accept", hc3)

        # Monday 2 November (3 November is a holiday): hc-3 must decide by Friday 6th, the NPO by Tuesday 10th.
        clock.at = _at(11, 2)
        await publish(
            settings,
            *(requested(rid, occurred_at=clock.now()) for rid in ("r-on-time", "r-late", "r-ignored", "r-cancelled")),
            requested("r-declined", agency_id="npo-hikikomori", occurred_at=clock.now()),
            requested("r-npo-day-5", agency_id="npo-hikikomori", occurred_at=clock.now()),
            requested("r-nowhere", agency_id="no-such-agency", occurred_at=clock.now()),
        )
        await _arrived(referral, sv, 8)
        clock.at = _at(11, 3)
        await _move(referral, "r-cancelled", "cancel", chubu, reason="本人が辞退")
        clock.at = _at(11, 4)
        await _move(referral, "r-on-time", "accept", hc3)
        await _move(referral, "r-declined", "decline", npo, reason="定員のため")
        clock.at = _at(11, 5)
        await publish(settings, requested("r-west", agency_id="hc-5", area="西部", occurred_at=clock.now()))
        await _arrived(referral, sv, 9)
        clock.at = _at(11, 6)
        await _move(referral, "r-west", "accept", hc5)
        clock.at = _at(11, 9)
        await _move(referral, "r-late", "accept", hc3)  # after Friday 6th
        await _move(referral, "r-npo-day-5", "accept", npo)  # the NPO's 4th business day: in time
        clock.at = _at(11, 18)
        await publish(settings, requested("r-pending", occurred_at=clock.now()))  # due Tuesday 24th
        await _arrived(referral, sv, 10)
        clock.at = _at(11, 20)

        answer = await referral.get("/v1/referrals/figures", headers=sv, params={"period": "month", "at": "2026-11"})
        assert answer.status_code == 200, answer.text
        figures = answer.json()
        assert figures["scope"] == "市全域"
        assert figures["period"] == {"kind": "month", "label": "2026年11月", "start": "2026-11-01", "end": "2026-11-30"}
        assert figures["previous"]["label"] == "2026年10月"
        current = figures["current"]
        assert _kind(current, HC) == {
            "agency_kind": HC,
            "requested": 6,
            "accepted": 3,
            "accepted_within_deadline": 2,
            "accepted_late": 1,
            "declined": 0,
            "still_within_deadline": 1,
            "past_deadline_undecided": 1,
            "closed_without_decision": 1,
            "share_accepted_within_deadline": 0.5,
        }
        assert _kind(current, NPO) == {
            "agency_kind": NPO,
            "requested": 2,
            "accepted": 1,
            "accepted_within_deadline": 1,
            "accepted_late": 0,
            "declined": 1,
            "still_within_deadline": 0,
            "past_deadline_undecided": 0,
            "closed_without_decision": 0,
            "share_accepted_within_deadline": 0.5,
        }
        assert _kind(current, "名簿にない機関")["closed_without_decision"] == 1
        assert _kind(current, "名簿にない機関")["share_accepted_within_deadline"] is None
        assert _kind(current, "保健所")["requested"] == 0
        assert current["total"]["requested"] == 9 and current["total"]["share_accepted_within_deadline"] == 0.5
        assert [k["agency_kind"] for k in current["by_agency_kind"]][:2] == [HC, "子ども家庭支援センター"]
        previous = figures["previous_figures"]
        assert [k["agency_kind"] for k in previous["by_agency_kind"]] == [
            k["agency_kind"] for k in current["by_agency_kind"]
        ]
        assert _kind(previous, HC)["accepted_within_deadline"] == 1
        assert previous["total"]["share_accepted_within_deadline"] == 1.0

        # The quarter (October–December) holds October's referral too, and the current
        # month is the default.
        quarter = (await referral.get("/v1/referrals/figures", headers=sv, params={"period": "quarter"})).json()
        assert quarter["period"]["label"] == "2026年度 第3四半期(10〜12月)"
        assert quarter["current"]["total"]["requested"] == 10
        assert quarter["previous_figures"]["total"]["requested"] == 0
        assert (await referral.get("/v1/referrals/figures", headers=sv)).json()["period"]["label"] == "2026年11月"

        # A coordinator: their own area's referrals only (the 西部 one is not counted).
        mine = (await referral.get("/v1/referrals/figures", headers=chubu, params={"at": "2026-11"})).json()
        assert mine["scope"] == ["中部"]
        assert _kind(mine["current"], HC)["requested"] == 5 and _kind(mine["current"], HC)["accepted"] == 2
        assert mine["current"]["total"]["requested"] == 8

        exported = await referral.get("/v1/referrals/figures", headers=sv, params={"at": "2026-11", "format": "csv"})
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert 'filename="referral-figures-month-2026-11.csv"' in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0][:6] == ["part", "label", "start", "end", "agency_kind", "requested"]
        assert [
            "current",
            "2026年11月",
            "2026-11-01",
            "2026-11-30",
            HC,
            "6",
            "3",
            "2",
            "1",
            "0",
            "1",
            "1",
            "1",
            "0.5",
        ] in rows
        assert [
            "current",
            "2026年11月",
            "2026-11-01",
            "2026-11-30",
            "名簿にない機関",
            "1",
            "0",
            "0",
            "0",
            "0",
            "0",
            "0",
            "1",
            "",
        ] in rows
        assert rows[-1][:5] == ["previous", "2026年10月", "2026-10-01", "2026-10-31", "合計"]

        # Agencies and reporters do not get the figures; a bad month or period is a 422 on the field.
        assert (await referral.get("/v1/referrals/figures", headers=hc3)).status_code == 403
        assert (
            await referral.get("/v1/referrals/figures", headers=bearer(settings, "reporter", "vol-1"))
        ).status_code == 403
        refused = await referral.get("/v1/referrals/figures", headers=sv, params={"at": "2026-4"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["at"]
        assert "YYYY-MM" in refused.json()["detail"]
        refused = await referral.get("/v1/referrals/figures", headers=sv, params={"period": "year"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["query", "period"]
