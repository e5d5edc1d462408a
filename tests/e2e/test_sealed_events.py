"""Personal data at rest and in transit: the services as separate processes on the
production Redis (docker-compose.yml's own command: one ACL user per service,
append-only), each service with its own Redis user, a payload key ring from the
settings. A consultation with a distinctive SAMPLE name goes all the way through; its
name, place and notes are then looked for in the raw stream entries, Redis's
append-only file, every outbox row and the logs — and found nowhere, while the
people who may see them still do. A poison entry carrying the name is dead-lettered
without the name in its entry or error, and `tsunagi dlq show` opens it for the operator."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import NoPermissionError
from sqlalchemy import select

from shared.events import SYSTEM, ConsultationSubmitted, Envelope
from shared.events.personal import seal_payload
from shared.keyring import KeyRing
from shared.messaging.catalog import load_service, service_engine
from shared.messaging.streams import DATA_FIELD
from shared.settings import PROJECT_ROOT, SERVICES, Settings
from tests.support.servers import ComposeRedis
from tests.support.services import bearer
from tests.support.system import System, running_system, wait_for

NAME = "暗号化確認太郎"
SECRETS = (
    NAME,
    "アンゴウカクニンタロウ",
    "暗号化確認町三丁目",
    "暗号化確認のメモ",
    "暗号化確認花子",
    "暗号化確認の辞退理由",
)
EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
CONSULTATION = {
    **EXAMPLE,
    "person": {
        "name": NAME,
        "name_kana": "アンゴウカクニンタロウ",
        "age_group": "80代",
        "approximate_place": "暗号化確認町三丁目",
    },
    "household": [{"relation": "本人", "age_group": "80代"}, {"relation": "長女", "name": "暗号化確認花子"}],
    "noticed": "サンプル: 暗号化確認のメモ",
    "consent": "同意あり",  # so the coordinator may share the name
}


def items(body: Any) -> list[dict[str, Any]]:
    return body["items"] if isinstance(body, dict) else body


def assert_nothing_personal(where: str, text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} found in {where}"


def raw_streams(redis: Redis) -> dict[str, list[tuple[bytes, dict[bytes, bytes]]]]:
    return {
        name.decode(): redis.xrange(name)  # type: ignore[misc]
        for name in redis.scan_iter(match="tsunagi.*", _type="STREAM")
    }


def outbox_rows(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    async def read() -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {}
        for service in SERVICES:
            parts, why = load_service(service, settings)
            assert parts is not None, why
            engine = service_engine(settings, service)
            try:
                async with engine.connect() as conn:
                    result = await conn.execute(select(parts.tables.outbox.c.envelope))
                    rows[service] = [row for (row,) in result]
            finally:
                await engine.dispose()
        return rows

    return asyncio.run(read())


def tsunagi(system: System, redis_url: str, keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "TSUNAGI_MODE": "test",
        "TSUNAGI_DATA_DIR": str(system.settings.data_dir),
        "TSUNAGI_REDIS_URL": redis_url,
        "TSUNAGI_PAYLOAD_KEYS": keys,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    if system.settings.database_url:
        env["TSUNAGI_DATABASE_URL"] = system.settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args], env=env, capture_output=True, text=True, timeout=120
    )


def sealed_consultation(ring: KeyRing, consultation_id: str) -> Envelope:
    """A consultation.submitted as a producer would put it on the stream, sealed with ``ring``."""
    submitted = ConsultationSubmitted.model_validate(
        {
            **CONSULTATION,
            "consultation_id": consultation_id,
            "reference": f"R-{consultation_id}",
            "reporter_id": "vol-sealed",
            "person": {**CONSULTATION["person"], "approximate_place": f"暗号化確認町三丁目 {consultation_id}"},
        }
    )
    envelope = Envelope.wrap(submitted, aggregate_id=consultation_id, actor=SYSTEM, correlation_id=consultation_id)
    return envelope.model_copy(update={"payload": seal_payload(ConsultationSubmitted, envelope.payload, ring)})


def poison(ring: KeyRing) -> Envelope:
    """A consultation.submitted whose sealed name is a list: the case service's handler
    fails validating it — and pydantic's own error text would repeat the name."""
    envelope = sealed_consultation(ring, "poison-1")
    payload = {**envelope.payload, "person": {**envelope.payload["person"], "name": ring.seal([NAME])}}
    return envelope.model_copy(update={"payload": payload})


# PostgreSQL only: sealing happens in the unit of work before any database sees a row, the
# same code on SQLite (whose outbox the integration tests read); the run costs half a minute.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_personal_fields_are_sealed_in_streams_aof_outboxes_and_dead_letters(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("postgres_database_url") if backend == "postgresql" else None
    redis_server = ComposeRedis(tmp_path / "redis")
    redis_server.start()
    ring = KeyRing.new()
    try:
        with running_system(
            tmp_path,
            redis_url=redis_server.url("case"),
            database_url=database_url,
            extra_env={
                "TSUNAGI_PAYLOAD_KEYS": ring.as_setting(),
                # The two bad entries are dead-lettered after a second delivery, a retry's backoff apart.
                "TSUNAGI_MAX_DELIVERIES": "2",
                "TSUNAGI_RECLAIM_IDLE_MS": "300",
            },
            service_env={s: {"TSUNAGI_REDIS_URL": redis_server.url(s)} for s in SERVICES},
        ) as system:
            settings = system.settings
            reporter = bearer(settings, "reporter", "vol-sealed", subject="vol-sealed")
            coordinator = bearer(settings, "coordinator", "中部", subject="csw-chubu-1")
            agency = bearer(settings, "agency", "hc-3", subject="hc-3-staff")
            intake, case, referral = (system.client(s) for s in ("intake", "case", "referral"))

            submitted = intake.post("/v1/consultations", json=CONSULTATION, headers=reporter)
            assert submitted.status_code == 201, submitted.text

            # Those who may see the fields still do: the case service opened them.
            def case_with_name() -> dict[str, Any] | None:
                for found in items(case.get("/v1/cases", headers=coordinator).json()):
                    detail = case.get(f"/v1/cases/{found['id']}", headers=coordinator).json()
                    if detail["person"].get("name") == NAME:
                        return detail
                return None

            detail = wait_for(case_with_name, "the case with the person's name, opened by the case service")
            assert detail["person"]["approximate_place"] == "暗号化確認町三丁目"
            assigned = case.post(
                f"/v1/cases/{detail['id']}/assignment",
                headers=coordinator,
                json={"coordinator_id": "csw-chubu-1", "version": detail["version"]},
            )
            assert assigned.status_code == 200, assigned.text
            referred = case.post(
                f"/v1/cases/{detail['id']}/referrals",
                headers=coordinator,
                json={
                    "agency_id": "hc-3",
                    "purpose": "サンプル: 暗号化確認のメモ",
                    "share": ["person_name", "noticed"],
                    "version": assigned.json()["version"],
                },
            )
            assert referred.status_code == 201, referred.text
            referral_id = referred.json()["referral_id"]

            # The referral service opened the shared fields for the agency.
            def shared_name() -> dict[str, Any] | None:
                seen = referral.get(f"/v1/referrals/{referral_id}", headers=agency)
                return seen.json() if seen.status_code == 200 and NAME in seen.text else None

            seen = wait_for(shared_name, "the shared name in the agency's referral")
            declined = referral.post(
                f"/v1/referrals/{referral_id}/decline",
                headers=agency,
                json={"version": seen["version"], "reason": "サンプル: 暗号化確認の辞退理由"},
            )
            assert declined.status_code == 200, declined.text

            # The case's timeline opened the agency's reason.
            def timeline_reason() -> bool:
                timeline = case.get(f"/v1/cases/{detail['id']}/timeline", headers=coordinator)
                return "暗号化確認の辞退理由" in timeline.text

            wait_for(timeline_reason, "the decline reason on the case's timeline")

            # A poison entry carrying the name, sealed, and a good one sealed with a key the
            # services do not hold: both dead-lettered by the case service.
            reader = Redis.from_url(redis_server.url("case"))
            bad = poison(ring)
            stranger = KeyRing.new()
            strange = sealed_consultation(stranger, "strange-1")
            for entry in (bad, strange):
                reader.xadd("tsunagi.consultation", {DATA_FIELD: entry.model_dump_json().encode()})
            letters = wait_for(
                lambda: len(found := reader.xrange("tsunagi.dlq.case")) == 2 and found, "both entries dead-lettered"
            )
            by_event = {fields[b"event_id"].decode(): (entry_id, fields) for entry_id, fields in letters}
            letter_id, letter_fields = by_event[bad.event_id]
            error = letter_fields[b"error"].decode()
            assert "person.name" in error and "string_type" in error, error
            strange_id, strange_fields = by_event[strange.event_id]
            assert f"payload key '{stranger.current}'" in strange_fields[b"error"].decode()
            assert "does not hold" in strange_fields[b"error"].decode()

            # Nothing personal anywhere: raw stream entries (dead letters included) …
            streams = raw_streams(reader)
            assert {"tsunagi.consultation", "tsunagi.referral", "tsunagi.dlq.case"} <= set(streams)
            for stream, entries in streams.items():
                for _entry_id, fields in entries:
                    for value in fields.values():
                        assert_nothing_personal(stream, value.decode("utf-8", "replace"))
            # … the append-only file …
            aof = b"".join(path.read_bytes() for path in sorted(redis_server.aof_dir.iterdir()))
            assert b"tsunagi.consultation" in aof and b"tsk1." in aof
            assert_nothing_personal("the AOF", aof.decode("utf-8", "replace"))
            # … every outbox row (holding the very ciphertext the stream carries) …
            outboxes = outbox_rows(settings)
            for service, rows in outboxes.items():
                assert_nothing_personal(f"{service}'s outbox", json.dumps(rows, ensure_ascii=False))
            submitted_row = next(r for r in outboxes["intake"] if r["type"] == "consultation.submitted")
            assert submitted_row["payload"]["person"]["name"].startswith(f"tsk1.{ring.current}.")
            stream_text = b"".join(f[DATA_FIELD] for _i, f in streams["tsunagi.consultation"]).decode(
                "utf-8", "replace"
            )
            assert submitted_row["payload"]["person"]["name"] in stream_text, "the outbox's ciphertext is the stream's"
            assert submitted_row["event_id"] in stream_text and submitted_row["correlation_id"] in stream_text
            # … and the logs.
            assert_nothing_personal("the logs", system.logs())

            # The services' Redis users may not read or write outside Tsunagi's keys, nor administer.
            with pytest.raises(NoPermissionError):
                reader.set("elsewhere", "1")
            with pytest.raises(NoPermissionError):
                reader.config_get("requirepass")
            anonymous = Redis(port=redis_server.port)
            assert anonymous.ping(), "the health check's PING"
            with pytest.raises(NoPermissionError):
                anonymous.xrange("tsunagi.consultation")

            # The operator's view opens the dead letter; --sealed shows it as stored.
            keys = ring.as_setting()
            shown = tsunagi(system, redis_server.url("case"), keys, "dlq", "show", f"case/{letter_id.decode()}")
            assert shown.returncode == 0, shown.stderr
            assert NAME in shown.stdout and "opened with the key ring" in shown.stdout
            sealed = tsunagi(
                system, redis_server.url("case"), keys, "dlq", "show", f"case/{letter_id.decode()}", "--sealed"
            )
            assert sealed.returncode == 0 and NAME not in sealed.stdout
            other_ring = KeyRing.new().as_setting()
            unopened = tsunagi(system, redis_server.url("case"), other_ring, "dlq", "show", letter_id.decode())
            assert unopened.returncode == 0 and NAME not in unopened.stdout and "does not hold" in unopened.stdout
            # `tsunagi check` needs no key: the envelopes and identifiers are readable.
            check = tsunagi(system, redis_server.url("case"), other_ring, "check", "--json")
            assert "Traceback" not in check.stderr, check.stderr
            assert json.loads(check.stdout)["dead_letters"]["case"] == 2
            # With the missing key back in the ring, the good one replays, once.
            wider = KeyRing(current=ring.current, keys={**stranger.keys, **ring.keys}).as_setting()
            replayed = tsunagi(system, redis_server.url("case"), wider, "dlq", "replay", f"case/{strange_id.decode()}")
            assert replayed.returncode == 0 and "applied" in replayed.stdout, replayed.stdout + replayed.stderr
            still_sealed = tsunagi(
                system, redis_server.url("case"), keys, "dlq", "replay", f"case/{letter_id.decode()}"
            )
            assert still_sealed.returncode == 1 and NAME not in still_sealed.stdout + still_sealed.stderr
            # Which keys are still in use, and the current one cannot be retired.
            usage = tsunagi(system, redis_server.url("case"), keys, "keys", "usage", "--json")
            assert usage.returncode == 0, usage.stderr
            assert json.loads(usage.stdout)["totals"][ring.current] > 0
            retire = tsunagi(system, redis_server.url("case"), keys, "keys", "retire", ring.current)
            assert retire.returncode == 2 and "still opens sealed values" in retire.stderr
    finally:
        redis_server.stop()
