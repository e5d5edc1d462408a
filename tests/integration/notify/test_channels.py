"""External channels: real email to a local SMTP server, signed webhooks to a local
HTTP receiver, and a failing receiver whose deliveries are retried, then reported."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from services.notify.domain.delivery import DELIVERY_HEADER, SIGNATURE_HEADER, signature_valid
from shared.clock import FrozenClock, utcnow
from shared.events import new_event_id
from tests.integration.notify.notify_support import (
    fast_loops,
    jst,
    kinds,
    publish,
    published,
    reference_with_channels,
    requested,
)
from tests.support.servers import free_port
from tests.support.services import bearer, eventually, running_service

SECRET = "test-webhook-secret-0123456789"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@dataclass
class Receiver:
    """A tiny HTTP server: records each request and answers with ``status``."""

    status: int = 200
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((headers, body))
        writer.write(f"HTTP/1.1 {self.status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/tsunagi"


@asynccontextmanager
async def receiver(status: int = 200) -> AsyncIterator[Receiver]:
    r = Receiver(status=status, port=free_port())
    server = await asyncio.start_server(r.handle, "127.0.0.1", r.port)
    try:
        yield r
    finally:
        server.close()
        await server.wait_closed()


async def test_email_and_signed_webhook_reach_the_agency(make_settings, tmp_path, monkeypatch) -> None:
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        async with receiver() as hook:
            fast_loops(
                monkeypatch,
                TSUNAGI_NOTIFY_SMTP_HOST="127.0.0.1",
                TSUNAGI_NOTIFY_SMTP_PORT=str(smtp.port),
                TSUNAGI_NOTIFY_SMTP_FROM="tsunagi@example.jp",
                TSUNAGI_NOTIFY_WEBHOOK_SECRET=SECRET,
            )
            folder = reference_with_channels(
                tmp_path, "hc-3", channels=["in_app", "email", "webhook"], email="hc3@example.jp", webhook_url=hook.url
            )
            settings = make_settings(reference_dir=folder)
            clock = FrozenClock(jst(2026, 11, 20, 10, 0))
            referral_id = new_event_id()
            async with running_service("notify", settings, clock) as notify:
                await publish(settings, requested(referral_id, new_event_id(), clock.now()))

                async def both_sent() -> bool:
                    return bool(mailbox.messages) and bool(hook.requests)

                await eventually(both_sent, what="email and webhook")
                mail = mailbox.messages[0]
                assert mail["To"] == "hc3@example.jp" and mail["From"] == "tsunagi@example.jp"
                assert mail["Subject"] == "[Tsunagi] 新しい依頼が届きました"
                assert referral_id in mail.get_content() and "サンプル西東京花子" not in mail.get_content()

                headers, body = hook.requests[0]
                assert signature_valid(SECRET, body, headers[SIGNATURE_HEADER.lower()])
                assert not signature_valid("another-secret", body, headers[SIGNATURE_HEADER.lower()])
                payload = json.loads(body)
                assert payload["kind"] == "referral_new" and payload["referral_id"] == referral_id
                assert payload["recipient"] == {"role": "agency", "scope": "hc-3"}

                supervisor = bearer(settings, "supervisor", "city")

                async def delivered() -> list:
                    items = (
                        await notify.get("/v1/deliveries", params={"status": "delivered"}, headers=supervisor)
                    ).json()["items"]
                    return items if len(items) == 2 else []

                items = await eventually(delivered, what="deliveries recorded as delivered")
                assert sorted(i["channel"] for i in items) == ["email", "webhook"]
                assert all(i["attempts"] == 1 and i["attempt_log"][0]["ok"] for i in items)
                one = (await notify.get("/v1/deliveries", params={"limit": 1, "offset": 1}, headers=supervisor)).json()
                assert (one["total"], [i["id"] for i in one["items"]]) == (2, [items[1]["id"]])
                assert (await notify.get("/v1/deliveries", params={"status": "failed"}, headers=supervisor)).json()[
                    "items"
                ] == []
    finally:
        smtp.stop()


async def test_failing_webhook_is_retried_then_reported(make_settings, tmp_path, monkeypatch) -> None:
    async with receiver(status=503) as hook:
        fast_loops(monkeypatch, TSUNAGI_NOTIFY_DELIVERY_MAX_ATTEMPTS="3", TSUNAGI_NOTIFY_WEBHOOK_SECRET=SECRET)
        folder = reference_with_channels(tmp_path, "hc-3", channels=["in_app", "webhook"], webhook_url=hook.url)
        settings = make_settings(reference_dir=folder)
        referral_id = new_event_id()
        async with running_service("notify", settings) as notify:  # real clock: the backoff is 0.05 s
            # Requested now: on the real clock a fixed past date makes every follow-up due
            # at once, and each reminder is one more delivery to the failing webhook.
            await publish(settings, requested(referral_id, new_event_id(), utcnow()))
            supervisor = bearer(settings, "supervisor", "city")

            async def failed() -> list:
                items = (await notify.get("/v1/deliveries", params={"status": "failed"}, headers=supervisor)).json()[
                    "items"
                ]
                return items

            [item] = await eventually(failed, what="delivery reported failed")
            assert item["channel"] == "webhook" and item["attempts"] == 3
            assert [a["ok"] for a in item["attempt_log"]] == [False, False, False]
            assert "HTTP 503" in item["last_error"]
            assert len(hook.requests) == 3
            # Each retry waited longer than the one before (exponential backoff).
            times = [a["finished_at"] for a in item["attempt_log"]]
            assert times == sorted(times)

            # The supervisor is told, and the failure is published; the in-app copy stays.
            assert await kinds(notify, settings, "supervisor", "city") == ["delivery_failed"]
            assert await kinds(notify, settings, "agency", "hc-3") == ["referral_new"]

            async def reported() -> list:
                return [
                    e for e in await published(settings, "notification") if e.type == "notification.delivery_failed"
                ]

            [event] = await eventually(reported, what="notification.delivery_failed")
            assert event.payload["delivery_id"] == item["id"] and event.payload["attempts"] == 3

            # A supervisor can send it again once the receiver is fixed.
            hook.status = 200
            retry = await notify.post(f"/v1/deliveries/{item['id']}/retry", headers=supervisor)
            assert retry.status_code == 202

            async def redelivered() -> list:
                return (await notify.get("/v1/deliveries", params={"status": "delivered"}, headers=supervisor)).json()[
                    "items"
                ]

            [done] = await eventually(redelivered, what="manual retry delivered")
            assert done["attempts"] == 4
            again = await notify.post(f"/v1/deliveries/{item['id']}/retry", headers=supervisor)
            assert again.status_code == 409


async def test_email_without_smtp_configured_fails_at_once_and_loudly(make_settings, tmp_path, monkeypatch) -> None:
    fast_loops(monkeypatch)
    monkeypatch.delenv("TSUNAGI_NOTIFY_SMTP_HOST", raising=False)
    folder = reference_with_channels(tmp_path, "hc-3", channels=["in_app", "email"], email="hc3@example.jp")
    settings = make_settings(reference_dir=folder)
    async with running_service("notify", settings) as notify:  # real clock: requested now (see above)
        await publish(settings, requested(new_event_id(), new_event_id(), utcnow()))

        async def failed() -> list:
            return (
                await notify.get(
                    "/v1/deliveries", params={"status": "failed"}, headers=bearer(settings, "supervisor", "city")
                )
            ).json()["items"]

        [item] = await eventually(failed, what="failed delivery")
        assert item["attempts"] == 1 and "SMTP サーバーが設定されていません" in item["last_error"]
        assert await kinds(notify, settings, "supervisor", "city") == ["delivery_failed"]


async def test_two_replicas_send_each_webhook_once(make_settings, tmp_path, database_backend, monkeypatch) -> None:
    async with receiver() as hook:
        fast_loops(monkeypatch, TSUNAGI_NOTIFY_DELIVERY_INTERVAL_S="0.01", TSUNAGI_NOTIFY_WEBHOOK_SECRET=SECRET)
        folder = reference_with_channels(tmp_path, "hc-3", channels=["in_app", "webhook"], webhook_url=hook.url)
        settings_a = make_settings(reference_dir=folder, consumer_name="notify-a")
        settings_b = make_settings(reference_dir=folder, consumer_name="notify-b")
        clock = FrozenClock(jst(2026, 11, 20, 10, 0))
        async with running_service("notify", settings_a, clock) as a, running_service("notify", settings_b, clock):
            await publish(settings_a, *(requested(new_event_id(), new_event_id(), clock.now()) for _ in range(8)))
            supervisor = bearer(settings_a, "supervisor", "city")

            async def delivered() -> list:
                items = (await a.get("/v1/deliveries", params={"status": "delivered"}, headers=supervisor)).json()[
                    "items"
                ]
                return items if len(items) == 8 else []

            items = await eventually(delivered, what="8 webhooks delivered")
            await asyncio.sleep(0.2)  # give a duplicate sender the chance to show itself
            ids = [headers[DELIVERY_HEADER.lower()] for headers, _ in hook.requests]
            assert sorted(ids) == sorted(i["id"] for i in items)  # each sent exactly once
            assert all(i["attempts"] == 1 for i in items)


async def test_a_crashed_workers_claim_expires_and_another_sends(make_settings, tmp_path, monkeypatch) -> None:
    from dataclasses import replace
    from datetime import timedelta

    from services.notify.handlers.deliveries import DeliveryWorker

    async with receiver() as hook:
        fast_loops(monkeypatch, TSUNAGI_NOTIFY_DELIVERY_CLAIM_S="120", TSUNAGI_NOTIFY_WEBHOOK_SECRET=SECRET)
        folder = reference_with_channels(tmp_path, "hc-3", channels=["in_app", "webhook"], webhook_url=hook.url)
        settings = make_settings(reference_dir=folder)
        clock = FrozenClock(jst(2026, 11, 20, 10, 0))
        async with running_service("notify", settings, clock) as notify:
            services = notify.app.state.services
            await services.stop_loops()  # this test drives the worker itself
            await publish(settings, requested(new_event_id(), new_event_id(), clock.now()))
            await eventually(lambda: kinds(notify, settings, "agency", "hc-3"), what="request applied")
            supervisor = bearer(settings, "supervisor", "city")
            [pending] = (await notify.get("/v1/deliveries", params={"status": "pending"}, headers=supervisor)).json()[
                "items"
            ]

            # Another replica claims it and dies before sending.
            crashed = DeliveryWorker(
                replace(services.context, worker="notify-crashed"), services.runtime.unit_of_work, {}
            )
            assert await crashed.claim(pending["id"]) is not None
            assert await services.worker.run_once() == 0  # claimed: not ours to send
            clock.advance(timedelta(seconds=119))
            assert await services.worker.run_once() == 0
            clock.advance(timedelta(seconds=2))  # the claim has expired
            assert await services.worker.run_once() == 1
            [done] = (await notify.get("/v1/deliveries", params={"status": "delivered"}, headers=supervisor)).json()[
                "items"
            ]
            assert done["attempts"] == 1 and done["attempt_log"][0]["worker"] != "notify-crashed"
            assert len(hook.requests) == 1
