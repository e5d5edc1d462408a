"""The floor's intake: a bare ASGI handler for ``POST /v1/consultations`` (the bearer
token read as Tsunagi reads it, the body validated by intake's own schema and reference
checks, the consultation and its sealed ``consultation.submitted`` stored together —
requests in flight while a transaction runs share the next one, as Tsunagi's group
commit does), and ``case.opened`` applied to the consultation (its case)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pydantic
from redis.asyncio import Redis

from bench.floor.bus import add_outbox, consume, relay
from bench.floor.db import Db, Lanes
from services.intake.adapters.orm import consultations, messaging
from services.intake.domain.consultation import RECEIVED_STAGE, new_reference
from services.intake.entrypoints.schemas import ConsultationIn
from services.intake.handlers.consultations import validate_against_reference
from shared.clock import jst_text
from shared.errors import InvalidInput
from shared.events import ConsultationSubmitted, Envelope, new_event_id
from shared.http.errors import Problem
from shared.identity import TokenVerifier


class Intake:
    def __init__(self, settings: Any, lanes: Lanes, redis: Redis, keys: Any, reference: Any, clock: Any) -> None:
        self.lanes, self.redis, self.keys, self.reference, self.clock = lanes, redis, keys, reference, clock
        self.tokens = TokenVerifier(settings, clock=clock, reference=reference)
        self.signal = asyncio.Event()
        self.queue: list[tuple[dict, Envelope, asyncio.Future]] = []
        self.writing = False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/health":
            await _answer(send, 200, {"status": "ok"})
            return
        if scope["method"] != "POST" or scope["path"] != "/v1/consultations":
            await _answer(send, 404, {"title": "not found"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        try:
            status, answer = 201, await self.submit(headers.get(b"authorization", b"").decode(), body)
        except Problem as problem:
            status, answer = problem.status, {"title": problem.title, "detail": problem.detail}
        except InvalidInput as invalid:
            status, answer = 422, {"title": "入力エラー", "detail": str(invalid)}
        except pydantic.ValidationError as invalid:
            status, answer = (
                422,
                {"title": "入力エラー", "errors": invalid.errors(include_url=False, include_input=False)},
            )
        await _answer(send, status, answer)

    async def submit(self, authorization: str, body: bytes) -> dict:
        scheme, _, token = authorization.partition(" ")
        caller = self.tokens.read(token.strip() if scheme.lower() == "bearer" else "")
        if caller.role not in ("reporter", "coordinator"):
            raise Problem(403, "権限がありません", "この操作はできません。")
        data = ConsultationIn.model_validate_json(body)
        validate_against_reference(data, self.reference)
        received_at = self.clock.now()
        consultation_id, reference = new_event_id(), new_reference(received_at)
        payload = data.model_dump(mode="json")
        row = {
            **{k: payload[k] for k in ("reporter_role", "channel", "school_district", "categories", "urgency")},
            **{k: payload[k] for k in ("consent", "legal_ground", "person", "household", "noticed", "sample")},
            "id": consultation_id,
            "reference": reference,
            "reporter_id": caller.subject,
            "received_at": received_at,
            "case_id": None,
        }
        event = Envelope.wrap(
            ConsultationSubmitted(
                consultation_id=consultation_id, reference=reference, reporter_id=caller.subject, **payload
            ),
            aggregate_id=consultation_id,
            actor=caller.actor,
            correlation_id=uuid.uuid4().hex,
            occurred_at=received_at,
        )
        done = asyncio.get_running_loop().create_future()
        self.queue.append((row, event, done))
        if not self.writing:
            self.writing = True
            asyncio.create_task(self.write())
        await done
        return {
            "reference": reference,
            "stage": RECEIVED_STAGE,
            "received_at": received_at.isoformat(),
            "received_at_jst": jst_text(received_at),
            "status_url": f"/v1/consultations/{reference}",
        }

    async def write(self) -> None:
        """Everything queued, in one transaction, until the queue is empty."""
        try:
            while self.queue:
                batch, self.queue = self.queue, []
                async with self.lock:
                    await self.db.begin()
                    await self.db.insert(consultations, [row for row, _e, _d in batch])
                    await add_outbox(self.db, messaging, self.keys, [e for _r, e, _d in batch], self.clock.now())
                    await self.db.commit()
                self.signal.set()
                for _r, _e, done in batch:
                    done.set_result(None)
        finally:
            self.writing = False

    async def on_cases(self, db: Db, envelopes: list[Envelope]) -> None:
        await db.many(
            "UPDATE consultations SET case_id = ? WHERE id = ?",
            [(e.payload["case_id"], e.payload["consultation_id"]) for e in envelopes],
        )

    async def tasks(self) -> list:
        self.db, self.lock = await self.lanes.get("write")
        db, lock = await self.lanes.get("consumer")
        handlers = {"case.opened": self.on_cases}
        return [
            consume(
                db,
                self.redis,
                messaging,
                self.keys,
                "tsunagi.case",
                "intake",
                handlers,
                self.clock,
                lock,
                self.signal,
                0.1,
            ),
            relay(*await self.lanes.get("relay"), self.redis, self.signal, self.clock),
        ]


async def _answer(send: Any, status: int, body: dict) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
