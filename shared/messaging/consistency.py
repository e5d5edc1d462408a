"""``tsunagi check``: was anything lost or applied twice?

Computed generically from each service's own outbox and inbox and from Redis:

* **flows** — for every event type a service published (its outbox) and every service
  that applies that type (its handlers): each event is *applied* (in the consumer's
  inbox), *dead-lettered* (in its dead-letter stream), *in flight* (still in the
  outbox, not yet delivered to the group, or pending in it) or else **lost**
  (delivered and acknowledged but never applied, or gone from the stream unapplied).
* **causal rules** — "each X applied by service S causes exactly one of Y" (the
  effect's ``causation_id`` names the cause): none is **lost**, two or more is a
  **duplicate**. Defaults below; a service may add its own as ``consistency_rules``
  in its consumers module. Event ids themselves are unique by schema (the outbox's
  unique ``event_id``, the inbox's primary key); an event published twice to a stream
  (the relay's at-least-once) is counted as *republished*, which is harmless.

Snapshot order matters, so that work finishing during the check is never mistaken for
a loss: outboxes first, then group states, then streams and dead letters, inboxes last
(an entry acked before we read the groups was applied before we read the inbox)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faststream.redis.parser import BinaryMessageFormatV1
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import select

from shared.events import FAMILIES, stream_for
from shared.messaging.catalog import ServiceParts, database_exists, load_service, service_engine
from shared.messaging.deadletter import list_dead_letters
from shared.messaging.retention import parse_id
from shared.messaging.streams import DATA_FIELD, decode_entry, entries_of, id_text
from shared.settings import SERVICES, Settings


@dataclass(frozen=True)
class CausalRule:
    cause: str
    service: str
    effects: tuple[str, ...]
    description: str


DEFAULT_RULES = (
    CausalRule(
        "consultation.submitted",
        "case",
        ("case.opened", "case.consultation_linked"),
        "consultations accepted → exactly one case opened or joined",
    ),
    CausalRule("referral.requested", "referral", ("referral.received",), "referrals requested → received exactly once"),
)


@dataclass
class Flow:
    publisher: str
    event_type: str
    consumer: str
    published: int = 0
    applied: int = 0
    in_flight: int = 0
    dead_lettered: int = 0
    lost: list[str] = field(default_factory=list)


@dataclass
class RuleResult:
    rule: CausalRule
    causes: int = 0
    missing: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)


@dataclass
class GroupState:
    stream: str
    group: str
    pending: int
    undelivered: int
    consumers: int


@dataclass
class Report:
    flows: list[Flow] = field(default_factory=list)
    rules: list[RuleResult] = field(default_factory=list)
    groups: list[GroupState] = field(default_factory=list)
    backlog: dict[str, int] = field(default_factory=dict)
    dead_letters: dict[str, int] = field(default_factory=dict)
    republished: int = 0
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return sum(len(f.lost) for f in self.flows) + sum(len(r.missing) for r in self.rules)

    @property
    def duplicated(self) -> int:
        return sum(len(r.duplicated) for r in self.rules)

    @property
    def in_flight(self) -> int:
        return (
            sum(self.backlog.values())
            + sum(g.pending + g.undelivered for g in self.groups)
            + sum(f.in_flight for f in self.flows)
        )

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "duplicates": self.duplicated,
            "in_flight": self.in_flight,
            "republished": self.republished,
            "outbox_backlog": self.backlog,
            "dead_letters": self.dead_letters,
            "flows": [{**f.__dict__, "lost": f.lost[:50], "lost_count": len(f.lost)} for f in self.flows],
            "rules": [
                {
                    "description": r.rule.description,
                    "cause": r.rule.cause,
                    "service": r.rule.service,
                    "effects": list(r.rule.effects),
                    "causes": r.causes,
                    "missing": r.missing[:50],
                    "duplicated": r.duplicated[:50],
                }
                for r in self.rules
            ],
            "groups": [g.__dict__ for g in self.groups],
            "skipped": self.skipped,
        }


@dataclass
class OutboxRow:
    event_id: str
    event_type: str
    published: bool
    causation_id: str | None


def _event_id_of(fields: dict[bytes, bytes]) -> str | None:
    try:
        _body, headers = BinaryMessageFormatV1.parse(fields[DATA_FIELD])
        if headers.get("event_id"):
            return str(headers["event_id"])
        return decode_entry(fields).event_id
    except Exception:
        return None


async def _read_outbox(engine: Any, parts: ServiceParts) -> list[OutboxRow]:
    outbox = parts.tables.outbox
    async with engine.connect() as conn:
        rows = (
            await conn.execute(select(outbox.c.event_id, outbox.c.event_type, outbox.c.published_at, outbox.c.envelope))
        ).all()
    return [
        OutboxRow(r.event_id, r.event_type, r.published_at is not None, (r.envelope or {}).get("causation_id"))
        for r in rows
    ]


async def _read_inbox(engine: Any, parts: ServiceParts) -> dict[str, str]:
    inbox = parts.tables.inbox
    async with engine.connect() as conn:
        rows = (await conn.execute(select(inbox.c.event_id, inbox.c.event_type))).all()
    return {r.event_id: r.event_type for r in rows}


async def _read_groups(redis: Redis, stream: str) -> dict[str, tuple[str, set[str], int]]:
    """group → (last-delivered id, pending entry ids, consumers)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return {}
    found: dict[str, tuple[str, set[str], int]] = {}
    for g in groups:
        name = g["name"].decode() if isinstance(g["name"], bytes) else g["name"]
        pending: set[str] = set()
        start = "-"
        while int(g["pending"]):
            rows = await redis.xpending_range(stream, name, min=start, max="+", count=1000)
            pending.update(id_text(r["message_id"]) for r in rows)
            if len(rows) < 1000:
                break
            start = "(" + id_text(rows[-1]["message_id"])
        last = g["last-delivered-id"]
        found[name] = (last.decode() if isinstance(last, bytes) else last, pending, int(g["consumers"]))
    return found


async def _read_stream(redis: Redis, stream: str) -> dict[str, list[str]]:
    """event id → the entry ids it was published as."""
    entries: dict[str, list[str]] = defaultdict(list)
    start = "-"
    while True:
        rows = entries_of(await redis.xrange(stream, min=start, max="+", count=1000))
        for entry_id, fields in rows:
            event_id = _event_id_of(fields)
            if event_id:
                entries[event_id].append(entry_id.decode())
        if len(rows) < 1000:
            return entries
        start = "(" + rows[-1][0].decode()


async def gather(
    settings: Settings,
    redis: Redis,
    services: tuple[str, ...] | None = None,
    loader: Callable[[str, Settings], tuple[ServiceParts | None, str]] | None = None,
) -> Report:
    """One snapshot of every service (``services`` and ``loader``: for tests)."""
    report = Report()
    parts: dict[str, ServiceParts] = {}
    engines: dict[str, Any] = {}
    for service in services or SERVICES:
        found, why = (loader or load_service)(service, settings)
        if found is None:
            report.skipped[service] = why
        elif not database_exists(settings, service):
            report.skipped[service] = "no database yet (never started)"
        else:
            parts[service] = found
            engines[service] = service_engine(settings, service)
    try:
        outboxes: dict[str, list[OutboxRow]] = {}
        for service in list(parts):
            try:
                outboxes[service] = await _read_outbox(engines[service], parts[service])
            except Exception as exc:
                report.skipped[service] = f"database unreadable: {type(exc).__name__}: {str(exc)[:160]}"
                del parts[service]
        groups = {stream_for(f): await _read_groups(redis, stream_for(f)) for f in FAMILIES}
        streams = {stream_for(f): await _read_stream(redis, stream_for(f)) for f in FAMILIES}
        dead = await list_dead_letters(redis, list(parts))
        inboxes = {s: await _read_inbox(engines[s], parts[s]) for s in parts}
        # A cause's inbox row and its effects commit together: read the outbox again
        # *after* the inbox, so a cause applied meanwhile never looks effect-less.
        rule_services = {r.service for r in list(DEFAULT_RULES) + [r for p in parts.values() for r in p.rules]}
        effects_outboxes = {s: await _read_outbox(engines[s], parts[s]) for s in parts if s in rule_services}
    finally:
        for engine in engines.values():
            await engine.dispose()

    dead_ids: dict[str, set[str]] = defaultdict(set)
    for letter in dead:
        dead_ids[letter.service].add(letter.get("event_id"))
    report.dead_letters = {s: len(dead_ids.get(s, ())) for s in parts}
    report.backlog = {s: sum(not r.published for r in rows) for s, rows in outboxes.items()}
    report.republished = sum(len(ids) - 1 for entries in streams.values() for ids in entries.values())
    for stream, by_group in sorted(groups.items()):
        entry_ids = [i for ids in streams[stream].values() for i in ids]
        for group, (last, pending, consumers) in sorted(by_group.items()):
            undelivered = sum(parse_id(i) > parse_id(last) for i in entry_ids)
            report.groups.append(GroupState(stream, group, len(pending), undelivered, consumers))

    for publisher, rows in sorted(outboxes.items()):
        by_type: dict[str, list[OutboxRow]] = defaultdict(list)
        for row in rows:
            by_type[row.event_type].append(row)
        for event_type, typed in sorted(by_type.items()):
            stream = stream_for(event_type)
            for consumer in sorted(parts):
                if parts[consumer].handlers.get(event_type) is None:
                    continue
                flow = Flow(publisher, event_type, consumer, published=len(typed))
                group_state = groups[stream].get(consumer)
                for row in typed:
                    _classify(
                        flow, row, inboxes[consumer], dead_ids[consumer], streams[stream].get(row.event_id), group_state
                    )
                report.flows.append(flow)

    rules = list(DEFAULT_RULES) + [r for p in parts.values() for r in p.rules]
    for rule in rules:
        if rule.service in parts:
            report.rules.append(_judge_rule(rule, inboxes[rule.service], effects_outboxes[rule.service]))
    return report


def _classify(
    flow: Flow,
    row: OutboxRow,
    inbox: dict[str, str],
    dead: set[str],
    entry_ids: list[str] | None,
    group: tuple[str, set[str], int] | None,
) -> None:
    if row.event_id in inbox:
        flow.applied += 1
    elif row.event_id in dead:
        flow.dead_lettered += 1
    elif not row.published:
        flow.in_flight += 1  # still in the outbox (counted in the backlog too)
    elif not entry_ids:
        flow.lost.append(row.event_id)  # published, yet no longer in the stream and never applied
    elif group is None:
        flow.in_flight += 1  # the consumer's group does not exist yet: it will read from the start
    else:
        last, pending, _ = group
        if any(i in pending or parse_id(i) > parse_id(last) for i in entry_ids):
            flow.in_flight += 1
        else:
            flow.lost.append(row.event_id)  # delivered and acknowledged, but not applied


def _judge_rule(rule: CausalRule, inbox: dict[str, str], outbox: list[OutboxRow]) -> RuleResult:
    effects = Counter(r.causation_id for r in outbox if r.event_type in rule.effects and r.causation_id)
    result = RuleResult(rule)
    for event_id, event_type in inbox.items():
        if event_type == rule.cause:
            result.causes += 1
            if effects[event_id] == 0:
                result.missing.append(event_id)
    # Twice or more: judged on the outbox alone, so a lost inbox row cannot hide it
    # (a cause missing from the inbox is of unknown type; it counts here too).
    result.duplicated = [cause for cause, n in effects.items() if n > 1 and inbox.get(cause, rule.cause) == rule.cause]
    return result
