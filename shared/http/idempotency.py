"""``Idempotency-Key`` on POST: a client that sends one gets, for every repeat with the
same key, the first answer (status and body) instead of a second command — a
double-click or a retry after a lost answer never raises two consultations.

A key belongs to an account. The first request claims it by inserting its row before
the command runs: the primary key (account, key) lets only one of two concurrent
duplicates through; the other waits for the first one's answer and gets it too (or,
past ``WAIT_FOR_FIRST_S``, a 409 saying the first is still in progress). The answer
is stored once given; a 5xx (nothing done) releases the key so a retry runs again. The
same key with another request (method, path, query or body) is a 422. Keys are kept
``idempotency_ttl_hours`` on the shared clock. A stored answer can hold personal data (an
agency's referral after a move): it is kept sealed with the payload key ring."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.clock import Clock, as_utc
from shared.http.callers import account_of
from shared.http.errors import Problem, is_unavailable, problem_response, unavailable
from shared.identity import TokenVerifier
from shared.keyring import KeyRing, KeyRingError, is_sealed
from shared.logging import get_logger

log = get_logger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = b"idempotent-replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,128}$"  # visible ASCII: a UUID, a ULID, a form's token
_KEY = re.compile(KEY_PATTERN)
# A claim never answered within this: its process died mid-request; a repeat may run.
ABANDONED_AFTER = timedelta(minutes=1)
PURGE_EVERY = timedelta(minutes=10)
# How long a repeat waits for the first request's answer before it is told to retry.
WAIT_FOR_FIRST_S = 10.0
POLL_S = 0.05


def fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope.get("path", "").encode(), scope.get("query_string", b""), body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def _malformed_key() -> Problem:
    return Problem(
        400,
        "リクエストの形式が正しくありません",
        f"{HEADER} は 1〜128 文字の半角英数字・記号で指定してください。",
        type_="malformed",
        errors=[{"loc": ["header", HEADER], "msg": "形式が正しくありません", "type": "idempotency_key"}],
    )


def _reused_key() -> Problem:
    return Problem(
        422,
        "入力内容に誤りがあります",
        f"この {HEADER} は別の内容の送信に使われています。新しい送信には新しいキーを使ってください。",
        type_="idempotency-key-reused",
        errors=[{"loc": ["header", HEADER], "msg": "別の内容の送信に使われたキーです", "type": "idempotency_key"}],
    )


def _unreadable() -> Problem:
    return Problem(
        409,
        "競合しています",
        f"この {HEADER} の最初の応答を読み出せません(鍵が替わりました)。新しいキーで送り直してください。",
        type_="idempotency-key-unreadable",
    )


def _in_progress() -> Problem:
    return Problem(
        409,
        "競合しています",
        f"同じ {HEADER} の送信をまだ処理しています。少し待ってからもう一度送信してください。",
        type_="idempotency-key-in-progress",
        headers={"Retry-After": "1"},
    )


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: AsyncEngine,
        table: Table,
        clock: Clock,
        tokens: TokenVerifier,
        keys: KeyRing,
        ttl: timedelta,
    ) -> None:
        self.app = app
        self.keys = keys
        self.engine = engine
        self.table = table
        self.clock = clock
        self.tokens = tokens
        self.ttl = ttl
        self._purged_at: datetime | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = dict(scope.get("headers") or []).get(b"idempotency-key") if scope["type"] == "http" else None
        if raw is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = raw.decode("latin-1")
        if not _KEY.fullmatch(key):
            await problem_response(_malformed_key())(scope, receive, send)
            return
        identity = account_of(scope, self.tokens)
        if identity is None:  # the route answers 401; nothing to remember
            await self.app(scope, receive, send)
            return
        messages, body = await _read_body(receive)
        replay = _replaying(messages, receive)
        # Hashed: a subject of any length or content fits the column.
        account = hashlib.sha256(identity.subject.encode("utf-8", "surrogatepass")).hexdigest()
        try:
            stored = await self._claim(account, key, fingerprint(scope, body))
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            log.warning("dependency_unavailable", path=scope.get("path"), error_type=type(exc).__name__)
            stored = problem_response(unavailable())
        if stored is not None:
            await stored(scope, replay, send)
            return
        await self._run(scope, replay, send, account, key)

    async def _claim(self, account: str, key: str, print_: str) -> Any:
        """None if this request now holds the key (it runs); else what to answer."""
        now = self.clock.now()
        t = self.table
        mine = (t.c.account_id == account) & (t.c.key == key)
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            async with self.engine.begin() as db:
                await db.execute(delete(t).where(t.c.expires_at <= now))
        stale = or_(t.c.expires_at <= now, t.c.status.is_(None) & (t.c.created_at <= now - ABANDONED_AFTER))
        try:
            async with self.engine.begin() as db:  # one transaction: a stale row makes way
                await db.execute(delete(t).where(mine & stale))
                await db.execute(
                    insert(t),
                    dict(account_id=account, key=key, fingerprint=print_, created_at=now, expires_at=now + self.ttl),
                )
            return None
        except IntegrityError:
            pass
        # A double-click's second request: wait for the first one's answer, then give it.
        for _ in range(int(WAIT_FOR_FIRST_S / POLL_S)):
            async with self.engine.connect() as db:
                row = (await db.execute(select(t).where(mine))).first()
            if row is None:  # released meanwhile (the first one failed): this one runs
                return await self._claim(account, key, print_)
            if row.fingerprint != print_:
                return problem_response(_reused_key())
            if row.status is not None:
                age_s = int((now - as_utc(row.created_at)).total_seconds())
                log.info("idempotent_replay", status=row.status, age_s=age_s)
                return self._replay(row)
            await asyncio.sleep(POLL_S)
        return problem_response(_in_progress())

    async def _run(self, scope: Scope, receive: Receive, send: Send, account: str, key: str) -> None:
        status: int | None = None
        content_type: bytes | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = dict(message.get("headers") or []).get(b"content-type")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        t = self.table
        mine = (t.c.account_id == account) & (t.c.key == key)
        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await self._release(mine)
            raise
        if status is None or status >= 500:  # nothing was done: a retry must run again
            await self._release(mine)
            return
        sealed = self.keys.seal(base64.b64encode(b"".join(chunks)).decode("ascii")).encode("ascii")
        answer = dict(status=status, content_type=(content_type or b"").decode("latin-1")[:100], body=sealed)
        try:
            async with self.engine.begin() as db:
                await db.execute(update(t).where(mine).values(**answer))
        except Exception as exc:  # answered already; a repeat within a minute is told to wait
            log.warning("idempotency_answer_not_stored", error_type=type(exc).__name__)

    def _replay(self, row: Any) -> Any:
        stored = (row.body or b"").decode("ascii", "replace")
        if not is_sealed(stored):
            return _Replay(row.status, row.content_type, row.body)
        try:
            body = base64.b64decode(self.keys.open(stored))
        except KeyRingError:
            return problem_response(_unreadable())
        return _Replay(row.status, row.content_type, body)

    async def _release(self, mine: Any) -> None:
        try:
            async with self.engine.begin() as db:
                await db.execute(delete(self.table).where(mine))
        except Exception as exc:  # the claim lapses after ABANDONED_AFTER
            log.warning("idempotency_key_not_released", error_type=type(exc).__name__)


class _Replay:
    def __init__(self, status: int, content_type: str | None, body: bytes | None) -> None:
        self.status, self.content_type, self.body = status, content_type, body or b""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", str(len(self.body)).encode()), (REPLAYED_HEADER, b"true")]
        if self.content_type:
            headers.append((b"content-type", self.content_type.encode("latin-1")))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """The request's messages up to its last body part (the body-size limit outside
    this middleware has already bounded it), and the body."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
