"""Races: two coordinators on one version, and two case replicas applying one case's
agency moves at once, in scrambled order. Nothing lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import random

from case_helpers import case_of, consultation, coordinator, detail, publish, submit, supervisor

from shared.events import Actor, Envelope, ReferralAccepted, ReferralAcknowledged, ReferralDeclined, ReferralReceived
from tests.support.services import eventually, running_service


async def test_one_version_one_winner(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with running_service("intake", settings) as intake, running_service("case", settings) as case:
        opened = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        path = f"/v1/cases/{opened['id']}/notes"
        answers = await asyncio.gather(
            *(case.post(path, headers=chubu, json={"body": f"メモ{i}", "version": opened["version"]}) for i in range(4))
        )
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
        winner = next(a for a in answers if a.status_code == 201).json()
        assert all(a.json()["current_version"] == winner["version"] for a in answers if a.status_code == 409)
        after = await detail(case, chubu, opened["id"])
        assert len(after["notes"]) == 1 and after["version"] == opened["version"] + 1


async def test_two_replicas_apply_scrambled_moves(make_settings, database_backend) -> None:
    settings = make_settings()
    chubu = coordinator(settings)
    async with (
        running_service("intake", settings) as intake,
        running_service("case", settings) as case,
        running_service("case", settings) as _replica,
    ):
        opened = await case_of(case, settings, await submit(intake, settings, consultation()), chubu)
        case_id = opened["id"]
        v = (
            await case.post(
                f"/v1/cases/{case_id}/assignment",
                headers=chubu,
                json={"coordinator_id": "csw-chubu-1", "version": opened["version"]},
            )
        ).json()["version"]
        referral_ids = []
        for agency in ("hc-3", "hokenjo", "npo-hikikomori"):
            answer = await case.post(
                f"/v1/cases/{case_id}/referrals",
                headers=chubu,
                json={"agency_id": agency, "purpose": "支援", "share": ["categories"], "version": v},
            )
            assert answer.status_code == 201, answer.text
            referral_ids.append((answer.json()["referral_id"], agency))
            v = answer.json()["version"]
        outcomes = {referral_ids[0][0]: "accepted", referral_ids[1][0]: "declined", referral_ids[2][0]: "acknowledged"}
        moves = []
        for referral_id, agency in referral_ids:
            base = {"referral_id": referral_id, "case_id": case_id, "agency_id": agency, "area": "中部"}
            moves += [ReferralReceived(**base), ReferralAcknowledged(**base)]
            if outcomes[referral_id] == "accepted":
                moves.append(ReferralAccepted(**base))
            elif outcomes[referral_id] == "declined":
                moves.append(ReferralDeclined(**base, reason="対象外"))
        envelopes = [
            Envelope.wrap(
                m,
                aggregate_id=m.referral_id,
                actor=Actor(role="agency", id=m.agency_id),
                correlation_id="race",
                case_id=case_id,
            )
            for m in moves
        ]
        random.Random(7).shuffle(envelopes)
        for envelope in envelopes + envelopes[:3]:  # and a few redeliveries
            await publish(settings, None, case_id=case_id, envelope=envelope)  # type: ignore[arg-type]

        async def settled() -> list | None:
            current = await detail(case, supervisor(settings), case_id)
            if {r["id"]: r["status"] for r in current["referrals"]} != outcomes:
                return None
            timeline = (
                await case.get(
                    f"/v1/cases/{case_id}/timeline", headers=supervisor(settings), params={"kind": "referral"}
                )
            ).json()["items"]
            moves_seen = [e for e in timeline if e["type"] != "referral.requested"]
            return moves_seen if len(moves_seen) >= len(envelopes) else None

        agency_moves = await eventually(settled, what="every referral at its final status, every move recorded")
        # Each move once, redeliveries included; the outcome whatever the order.
        assert sorted(e["event_id"] for e in agency_moves) == sorted(e.event_id for e in envelopes)
        final = await detail(case, supervisor(settings), case_id)
        assert final["stage"] == "つなぎ済" and final["needs_attention"]
        assert [a["referral_id"] for a in final["attention"]] == [referral_ids[1][0]]
        for referral in final["referrals"]:
            assert referral["received_at"] and referral["acknowledged_at"]
