"""Consultations applied a batch at a time (one query for the candidates of all of them,
one executemany per table) decide exactly as one at a time would: a report about the
same person later in the same batch joins the case opened earlier in it, a likely match
within the batch is offered, the match keys of consultations stored before the keys
existed are filled by the migration, and a later migration makes every key keyed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from case_helpers import EXAMPLE, detail, publish, supervisor, timeline_types
from sqlalchemy import column, insert, select, table

from services.case.adapters.orm import case_consultations, cases, household_members
from services.case.domain.matching import MatchKeys, PersonFacts, match_keys
from shared.db.engine import make_engine
from shared.db.migrate import upgrade
from shared.events import Actor, ConsultationSubmitted
from tests.support.services import eventually, running_service

PLACE = "サンプル町9丁目付近"
HOUSEHOLD = [{"relation": "本人", "age_group": "70代"}, {"relation": "妻", "age_group": "70代"}]


def submitted(
    reference: str,
    *,
    name: str | None = None,
    district: str = "SD07",
    place: str = PLACE,
    household: list[dict] | None = None,
) -> ConsultationSubmitted:
    return ConsultationSubmitted(
        consultation_id=uuid.uuid4().hex[:26],
        reference=reference,
        reporter_id="vol-1",
        reporter_role=EXAMPLE["reporter_role"],
        channel=EXAMPLE["channel"],
        school_district=district,
        categories=["孤立"],
        urgency="通常",
        consent="未確認",
        person={"name": name, "age_group": "70代", "approximate_place": place},
        household=HOUSEHOLD if household is None else household,
        noticed="サンプル: バッチのテスト",
        sample=True,
    )


async def publish_all(settings, *payloads: ConsultationSubmitted) -> None:
    for payload in payloads:
        await publish(settings, payload, case_id=payload.consultation_id, actor=Actor(role="reporter", id="vol-1"))


async def test_one_batch_decides_as_one_at_a_time_would(make_settings, database_backend) -> None:
    settings = make_settings()
    # Published before the case service starts: its first read takes them as one batch.
    batch = [
        submitted("R-A1", name="山田 花子", place="サンプル町5丁目付近"),
        submitted("R-A2", name="山田花子", place="別の場所"),  # same name: joins R-A1's case
        submitted("R-P1", household=[{"relation": "本人", "age_group": "90代"}]),  # anonymous
        submitted(
            "R-P2", household=[{"relation": "本人", "age_group": "90代"}, {"relation": "長女", "age_group": "60代"}]
        ),
        submitted("R-B1", name="佐藤 一郎", district="SD01", place="サンプル町3丁目付近"),
        submitted("R-P3", household=[{"relation": "本人", "age_group": "90代"}]),  # same place + household as R-P1
    ]
    await publish_all(settings, *batch)
    headers = supervisor(settings)
    async with running_service("case", settings) as case:

        async def cases() -> dict[str, dict] | None:
            listing = (await case.get("/v1/cases", headers=headers, params={"per_page": 100})).json()["items"]
            if len(listing) < 4:
                return None
            found = {}
            for item in listing:
                current = await detail(case, headers, item["id"])
                for consultation in current["consultations"]:
                    found[consultation["reference"]] = current
            return found if len(found) == 6 else None

        by_reference = await eventually(cases, what="six consultations in cases")
        assert len({c["id"] for c in by_reference.values()}) == 4
        assert by_reference["R-A1"]["id"] == by_reference["R-A2"]["id"]
        assert by_reference["R-P1"]["id"] == by_reference["R-P3"]["id"]
        assert "case.consultation_linked" in await timeline_types(case, headers, by_reference["R-A1"]["id"])
        offered = by_reference["R-P2"]
        assert [(o["candidate_case_id"], o["status"]) for o in offered["link_offers"]] == [
            (by_reference["R-P1"]["id"], "offered")
        ]
        assert "same_place" in offered["link_offers"][0]["reasons"]
        assert len({c["case_number"] for c in by_reference.values()}) == 4

        # A later report about 佐藤 一郎 joins the case opened in the first batch.
        await publish_all(settings, submitted("R-B2", name="佐藤一郎", district="SD01", place="どこか"))

        async def joined() -> bool:
            current = await detail(case, headers, by_reference["R-B1"]["id"])
            return {c["reference"] for c in current["consultations"]} == {"R-B1", "R-B2"}

        await eventually(joined, what="R-B2 joined R-B1's case")


@pytest.mark.empty_database
async def test_the_migration_fills_the_match_keys_of_stored_consultations(make_settings, database_backend) -> None:
    settings = make_settings()
    engine = make_engine(settings, "case")
    try:
        await upgrade(engine, "case", "d3a5103d966f", settings=settings)  # before the match keys
        person = {"name": "山田 花子", "age_group": "70代", "approximate_place": PLACE}
        row = {
            "consultation_id": "c-old",
            "case_id": "k-old",
            "reference": "R-OLD",
            "reporter_id": "vol-1",
            "reporter_role": "ボランティア",
            "channel": "電話",
            "school_district": "SD07",
            "categories": ["孤立"],
            "urgency": "通常",
            "consent": "未確認",
            "legal_ground": None,
            "person": person,
            "household": HOUSEHOLD,
            "noticed": "サンプル",
            "how": "opened",
            "received_at": datetime(2026, 11, 20, tzinfo=UTC),
        }
        before_keys = table(
            "case_consultations", *[column(c.name, c.type) for c in case_consultations.c if not c.name.endswith("_key")]
        )
        async with engine.begin() as conn:
            await conn.execute(insert(before_keys), row)
        await upgrade(engine, "case", settings=settings)
        async with engine.connect() as conn:
            keys = (
                await conn.execute(
                    select(
                        case_consultations.c.name_key,
                        case_consultations.c.place_key,
                        case_consultations.c.household_key,
                    )
                )
            ).one()
        expected = match_keys(
            PersonFacts.of("SD07", person, HOUSEHOLD), MatchKeys(settings.match_key.get_secret_value().encode())
        )
        assert tuple(keys) == (expected["name_key"], expected["place_key"], expected["household_key"])
        assert all(keys)
    finally:
        await engine.dispose()


@pytest.mark.empty_database
async def test_the_keyed_keys_migration_recomputes_every_key_with_the_configured_key(
    make_settings, database_backend
) -> None:
    """Rows stored with the bare-hash keys get keyed ones (the configured key, variant
    kanji folded), a furigana key and their household members' name keys: search and
    matching find them."""
    settings = make_settings(match_key="a-sample-match-key-for-this-test-only-0123")
    keys = MatchKeys(settings.match_key.get_secret_value().encode())
    engine = make_engine(settings, "case")
    person = {
        "name": "髙橋 サンプル",
        "name_kana": "タカハシ サンプル",
        "age_group": "70代",
        "approximate_place": PLACE,
    }
    when = datetime(2026, 11, 20, tzinfo=UTC)
    try:
        await upgrade(engine, "case", "9b3229197b26", settings=settings)  # bare-hash keys
        columns_then = {
            "household_members": [c for c in household_members.c if c.name != "name_key"],
            "case_consultations": [c for c in case_consultations.c if c.name != "kana_key"],
        }
        async with engine.begin() as conn:
            await conn.execute(
                insert(cases),
                {
                    "id": "01OLDCASE0000000000000000A",
                    "case_number": "K-2611-00000A",
                    "area": "中部",
                    "school_district": "SD07",
                    "status": "受付",
                    "stage": "受付済",
                    "priority": "通常",
                    "categories": ["孤立"],
                    "coordinator_id": None,
                    "consent": "未確認",
                    "legal_ground": None,
                    "person": person,
                    "channel": "電話",
                    "sample": True,
                    "opened_at": when,
                    "updated_at": when,
                    "merged_into": None,
                    "version": 1,
                },
            )
            await conn.execute(
                insert(
                    table("case_consultations", *[column(c.name, c.type) for c in columns_then["case_consultations"]])
                ),
                {
                    "consultation_id": "c-old",
                    "case_id": "01OLDCASE0000000000000000A",
                    "reference": "TSN-2611-00000A",
                    "reporter_id": "vol-1",
                    "reporter_role": "ボランティア",
                    "channel": "電話",
                    "school_district": "SD07",
                    "categories": ["孤立"],
                    "urgency": "通常",
                    "consent": "未確認",
                    "legal_ground": None,
                    "person": person,
                    "household": HOUSEHOLD,
                    "noticed": "サンプル",
                    "how": "opened",
                    "received_at": when,
                    "name_key": "0" * 32,
                    "place_key": "0" * 32,
                    "household_key": "0" * 32,
                },
            )
            await conn.execute(
                insert(
                    table("household_members", *[column(c.name, c.type) for c in columns_then["household_members"]])
                ),
                {
                    "id": "m-old",
                    "case_id": "01OLDCASE0000000000000000A",
                    "relation": "妻",
                    "age_group": "70代",
                    "name": "サンプル 花江",
                    "note": None,
                    "source": "c-old",
                    "added_at": when,
                },
            )
        await upgrade(engine, "case", settings=settings)
        async with engine.connect() as conn:
            stored = await conn.execute(
                select(
                    case_consultations.c.name_key,
                    case_consultations.c.place_key,
                    case_consultations.c.household_key,
                    case_consultations.c.kana_key,
                )
            )
            member_key = (await conn.execute(select(household_members.c.name_key))).scalar_one()
        expected = match_keys(PersonFacts.of("SD07", person, HOUSEHOLD), keys)
        assert stored.one()._asdict() == expected and all(expected.values())
        assert expected["name_key"] == keys.name("高橋サンプル")  # the variant folded
        assert member_key == keys.name("サンプル花江")
        other = match_keys(PersonFacts.of("SD07", person, HOUSEHOLD), MatchKeys(b"another-key-another-key-another!"))
        assert all(other[k] != expected[k] for k in expected)
    finally:
        await engine.dispose()
    async with running_service("case", settings) as case:
        for q in ("高橋サンプル", "たかはし さんぷる", "サンプル花江"):
            found = (await case.get("/v1/cases/search", headers=supervisor(settings), params={"q": q})).json()
            assert [i["case_number"] for i in found["items"]] == ["K-2611-00000A"], q
