"""Issue 19, item 2: ``Idempotency-Key`` on POST and the per-account write limit, on real
Redis and a real database (SQLite and PostgreSQL). The finding: 60 identical
submissions in 0.3 s all became consultations — with one key they become one; without
a key, the limit answers 429 with ``Retry-After`` once it is reached."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from services.intake.adapters.orm import consultations, idempotency
from shared.clock import FrozenClock
from shared.settings import PROJECT_ROOT
from tests.support.services import bearer, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
START = datetime(2026, 12, 3, 9, 0, 30, tzinfo=UTC)


async def _count(intake: httpx.AsyncClient) -> int:
    runtime = intake.app.state.services.runtime  # type: ignore[attr-defined]
    async with runtime.engine.connect() as db:
        return int((await db.execute(select(func.count()).select_from(consultations))).scalar_one())


async def test_a_repeat_with_the_same_key_gets_the_first_answer(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = {**bearer(settings, "reporter", "vol-1"), "idempotency-key": "form-7f3a"}
        first = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
        assert first.status_code == 201, first.text
        again = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"] == first.headers["content-type"]
        assert await _count(intake) == 1
        # The stored answer is sealed (an agency's answer can hold shared personal fields).
        async with intake.app.state.services.runtime.engine.connect() as db:  # type: ignore[attr-defined]
            stored = (await db.execute(select(idempotency.c.body))).scalar_one()
        assert stored.startswith(b"tsk1.") and first.json()["reference"].encode() not in stored

        # The same key with another body: refused, nothing raised.
        changed = await intake.post("/v1/consultations", json={**EXAMPLE, "urgency": "緊急"}, headers=reporter)
        assert changed.status_code == 422
        assert changed.headers["content-type"].startswith("application/problem+json")
        assert "別の内容" in changed.json()["detail"]
        assert changed.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
        # ... or on another path.
        elsewhere = await intake.post("/v1/admin/reference/reload", headers=reporter)
        assert elsewhere.status_code == 422
        assert await _count(intake) == 1

        # Another account's key of the same name is its own.
        other = {**bearer(settings, "reporter", "vol-2"), "idempotency-key": "form-7f3a"}
        theirs = await intake.post("/v1/consultations", json=EXAMPLE, headers=other)
        assert theirs.status_code == 201 and theirs.json()["reference"] != first.json()["reference"]
        # Without a key, every POST is its own.
        plain = bearer(settings, "reporter", "vol-1")
        assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=plain)).status_code == 201
        assert await _count(intake) == 3


async def test_a_refusal_is_replayed_too_and_a_malformed_key_is_a_400(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        bad = {**EXAMPLE, "school_district": "SD99"}
        keyed = {**reporter, "idempotency-key": "k-422"}
        first = await intake.post("/v1/consultations", json=bad, headers=keyed)
        again = await intake.post("/v1/consultations", json=bad, headers=keyed)
        assert first.status_code == again.status_code == 422
        assert again.json() == first.json()

        malformed = await intake.post(
            "/v1/consultations", json=EXAMPLE, headers={**reporter, "idempotency-key": "with space"}
        )
        assert malformed.status_code == 400
        assert malformed.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
        long_key = {**reporter, "idempotency-key": "k" * 129}
        too_long = await intake.post("/v1/consultations", json=EXAMPLE, headers=long_key)
        assert too_long.status_code == 400
        # Without a valid token the key is not looked at: the route's 401.
        anonymous = await intake.post("/v1/consultations", json=EXAMPLE, headers={"idempotency-key": "k-anon"})
        assert anonymous.status_code == 401
        assert await _count(intake) == 0


async def test_sixty_identical_submissions_at_once_raise_one_consultation(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        keyed = {**bearer(settings, "reporter", "vol-1"), "idempotency-key": "double-click"}
        answers = await asyncio.gather(
            *(intake.post("/v1/consultations", json=EXAMPLE, headers=keyed) for _ in range(60))
        )
        assert {a.status_code for a in answers} == {201}, [a.text for a in answers if a.status_code != 201]
        assert len({a.json()["reference"] for a in answers}) == 1
        assert await _count(intake) == 1


async def test_keys_are_kept_a_day_on_the_shared_clock(make_settings, database_backend) -> None:
    settings = make_settings()
    clock = FrozenClock(START)
    async with running_service("intake", settings, clock) as intake:
        keyed = {**bearer(settings, "reporter", "vol-1"), "idempotency-key": "kept-a-day"}
        first = await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)
        clock.advance(timedelta(hours=23, minutes=59))
        assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)).json() == first.json()
        clock.advance(timedelta(minutes=2))
        later = await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)
        assert later.status_code == 201 and later.json()["reference"] != first.json()["reference"]
        assert await _count(intake) == 2

        runtime = intake.app.state.services.runtime  # type: ignore[attr-defined]
        async with runtime.engine.connect() as db:
            kept = (await db.execute(select(idempotency.c.key, idempotency.c.status))).all()
        assert [tuple(r) for r in kept] == [("kept-a-day", 201)]


async def test_writes_past_the_limit_are_refused_with_retry_after(make_settings, database_backend) -> None:
    settings = make_settings(write_limits={"reporter": 5, "coordinator": 0}, write_limit_window_s=60)
    clock = FrozenClock(START)
    async with running_service("intake", settings, clock) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        answers = [await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter) for _ in range(8)]
        assert [a.status_code for a in answers] == [201] * 5 + [429] * 3
        refused = answers[-1]
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["status"] == 429 and "秒" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "30"  # the window ends at 09:01:00
        assert await _count(intake) == 5

        # Reads are not counted; another account has its own count; 0 is no limit.
        assert (await intake.get("/v1/consultations", headers=reporter)).status_code == 200
        other = bearer(settings, "reporter", "vol-2")
        assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=other)).status_code == 201
        staff = bearer(settings, "coordinator", "中部", "csw-chubu-1")
        for _ in range(7):
            assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=staff)).status_code == 201

        clock.advance(timedelta(seconds=30))  # the next window
        assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)).status_code == 201


async def test_the_limit_is_shared_by_replicas(make_settings, database_backend) -> None:
    """Two processes of a service count one account together (the count is in Redis)."""
    settings = make_settings(write_limits={"reporter": 3})
    clock = FrozenClock(START)
    async with running_service("intake", settings, clock) as one, running_service("intake", settings, clock) as two:
        reporter = bearer(settings, "reporter", "vol-1")
        codes = [
            (await client.post("/v1/consultations", json=EXAMPLE, headers=reporter)).status_code
            for client in (one, two, one, two, one)
        ]
        assert codes == [201, 201, 201, 429, 429]


async def test_the_openapi_declares_the_key_and_the_answers(make_settings) -> None:
    settings = make_settings()
    for service in ("intake", "case", "referral", "notify"):
        async with running_service(service, settings) as client:
            document = (await client.get("/openapi.json")).json()
        posts = [op for path in document["paths"].values() for method, op in path.items() if method == "post"]
        assert posts, service
        for operation in posts:
            assert {"409", "422", "429"} <= operation["responses"].keys(), (service, operation["operationId"])
            assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"]), operation["operationId"]
        writes = ("put", "patch", "delete")
        others = [op for path in document["paths"].values() for m, op in path.items() if m in writes]
        assert all("429" in op["responses"] for op in others), service


async def test_a_repeat_while_the_first_is_unanswered_waits_then_is_told_to_retry(
    make_settings, database_backend, monkeypatch
) -> None:
    """The first request's claim without an answer (it is still running, or its process
    died): a repeat waits for the answer, then gets a 409 with Retry-After; a claim left
    unanswered for over a minute is taken over."""
    monkeypatch.setattr("shared.http.idempotency.WAIT_FOR_FIRST_S", 0.3)
    settings = make_settings()
    clock = FrozenClock(START)
    async with running_service("intake", settings, clock) as intake:
        keyed = {**bearer(settings, "reporter", "vol-1"), "idempotency-key": "in-flight"}
        first = await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)
        runtime = intake.app.state.services.runtime  # type: ignore[attr-defined]
        async with runtime.engine.begin() as db:  # as if its answer had not been given yet
            await db.execute(idempotency.update().values(status=None, body=None))
        waiting = await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)
        assert waiting.status_code == 409
        assert waiting.headers["retry-after"] == "1" and "処理しています" in waiting.json()["detail"]
        assert await _count(intake) == 1

        clock.advance(timedelta(minutes=1))
        taken_over = await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)
        assert taken_over.status_code == 201 and taken_over.json()["reference"] != first.json()["reference"]
        assert await _count(intake) == 2


async def test_a_keyed_body_over_the_limit_is_still_a_413(make_settings) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        keyed = {**bearer(settings, "reporter", "vol-1"), "idempotency-key": "huge"}
        huge = await intake.post("/v1/consultations", json={**EXAMPLE, "noticed": "あ" * 30_000}, headers=keyed)
        assert huge.status_code == 413
        assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)).status_code == 201


async def test_a_write_verifies_its_token_once(make_settings, monkeypatch) -> None:
    # The rate limit, the idempotency keys and the route share one verification.
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        tokens = intake.app.state.tokens  # type: ignore[attr-defined]
        read = tokens.read
        reads: list[str] = []

        def counted(token: str):  # type: ignore[no-untyped-def]
            reads.append(token)
            return read(token)

        monkeypatch.setattr(tokens, "read", counted)
        keyed = {**bearer(settings, "reporter", "vol-1"), "idempotency-key": "once-1"}
        assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=keyed)).status_code == 201
        assert len(reads) == 1
        # A refusal too, and it still reaches the caller as the route's 401.
        refused = await intake.post(
            "/v1/consultations", json=EXAMPLE, headers={"authorization": "Bearer x.y.z", "idempotency-key": "once-2"}
        )
        assert refused.status_code == 401 and refused.json()["detail"] == "トークンが無効です。"
        assert len(reads) == 2
        assert await _count(intake) == 1
