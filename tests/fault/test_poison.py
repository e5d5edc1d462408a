"""A poison message on the stream: retried, dead-lettered with its error, and the
consultations around it flow on."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from faststream.redis import RedisBroker

from shared.events import Actor, Envelope
from shared.messaging.streams import headers_of
from tests.support.faults import assert_clean, intake_counts, wait_all_linked
from tests.support.load import run_tsunagi, submit_many
from tests.support.servers import RedisServer
from tests.support.system import running_system


async def test_poison_message_is_dead_lettered_while_the_rest_flow_on(
    tmp_path: Path, private_redis_server: RedisServer
) -> None:
    """A producer bug puts an event the case service cannot read on the stream. It is
    retried, dead-lettered with its error after the limit, the 100 consultations around
    it become cases, and the operator sees it, cannot replay it unchanged, and discards
    it with a recorded reason. (Replay after a fix applying exactly once is proven in
    tests/integration/messaging on real Redis and databases.)"""
    with running_system(
        tmp_path,
        redis_url=private_redis_server.url,
        extra_env={"TSUNAGI_MAX_DELIVERIES": "3", "TSUNAGI_RECLAIM_IDLE_MS": "300"},
    ) as system:
        poison = Envelope(
            type="consultation.submitted",
            aggregate_type="consultation",
            aggregate_id="POISON",
            correlation_id="fault-test",
            actor=Actor(role="reporter", id="buggy-producer"),
            payload={"reference": "TSN-0000-BROKEN"},
        )  # required fields missing
        broker = RedisBroker(private_redis_server.url)
        await broker.connect()
        first = asyncio.create_task(submit_many(system.url("intake"), system.settings, 50))
        await broker.publish(poison, stream="tsunagi.consultation", headers=headers_of(poison))
        second = await submit_many(system.url("intake"), system.settings, 50)
        await broker.stop()
        loaded = await first
        assert len(loaded.accepted) + len(second.accepted) == 100
        await wait_all_linked(system.settings, 100)

        started = time.monotonic()
        letters: list[dict[str, Any]] = []
        while time.monotonic() - started < 60 and not letters:
            listed = run_tsunagi(system.settings, "dlq", "list", "--json")
            letters = [d for d in json.loads(listed.stdout or "[]") if d.get("event_id") == poison.event_id]
            await asyncio.sleep(1)
        assert letters, "the poison message reached the dead-letter stream"
        letter = letters[0]
        assert int(letter["attempts"]) >= 3 and "ValidationError" in letter["error"], letter
        ref = letter["ref"]

        still_broken = run_tsunagi(system.settings, "dlq", "replay", ref)
        assert still_broken.returncode == 1, still_broken.stdout + still_broken.stderr
        discarded = run_tsunagi(system.settings, "dlq", "discard", ref, "--reason", "producer bug, payload incomplete")
        assert discarded.returncode == 0, discarded.stdout + discarded.stderr
        history = run_tsunagi(system.settings, "dlq", "history", "--json")
        assert "producer bug, payload incomplete" in history.stdout
        _, _, cases = await intake_counts(system.settings)
        assert_clean(
            system,
            {
                "test": "poison message",
                "sent": 101,
                "cases": cases,
                "dead_lettered_after_s": round(time.monotonic() - started, 1),
                "attempts": int(letter["attempts"]),
            },
        )
