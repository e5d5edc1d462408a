"""``tsunagi check``: was anything lost or applied twice?

Computed generically from each service's own outbox and inbox and from Redis:

* **flows** — for every event type a service published (its outbox) and every service
  that applies that type (its handlers): each event is *applied* (in the consumer's
  inbox), *dead-lettered* (in its dead-letter stream), *in flight* (still in the
  outbox, not yet delivered to the group, or pending in it), *erased* (retention
  erased it before it was applied: ``consistency_judge.py``) or else **lost**
  (delivered and acknowledged but never applied, or gone from the stream unapplied).
* **causal rules** — "each X applied by service S causes exactly one of Y" (the
  effect's ``causation_id`` names the cause): none is **lost**, two or more is a
  **duplicate**. Defaults in ``consistency_report.py``; a service may add its own as ``consistency_rules``
  in its consumers module. Event ids themselves are unique by schema (the outbox's
  unique ``event_id``, the inbox's primary key); an event published twice to a stream
  (the relay's at-least-once) is counted as *republished*, which is harmless.

Snapshot order matters, so that work finishing during the check is never mistaken for
a loss: outboxes first, then group states, then streams and dead letters, inboxes last
(an entry acked before we read the groups was applied before we read the inbox).
The reads are in ``consistency_snapshot.py``, the report's shape in
``consistency_report.py``, the judgement of one event or rule in ``consistency_judge.py``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from shared.events import FAMILIES, stream_for
from shared.messaging.catalog import ServiceParts, database_exists, load_service, service_engine
from shared.messaging.consistency_judge import classify, judge_rule
from shared.messaging.consistency_report import DEFAULT_RULES, Flow, GroupState, OutboxRow, Report
from shared.messaging.consistency_snapshot import read_groups, read_inbox, read_outbox, read_stream
from shared.messaging.deadletter import list_dead_letters
from shared.messaging.retention import parse_id
from shared.settings import SERVICES, Settings


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
                outboxes[service] = await read_outbox(engines[service], parts[service])
            except Exception as exc:
                report.skipped[service] = f"database unreadable: {type(exc).__name__}: {str(exc)[:160]}"
                del parts[service]
        groups = {stream_for(f): await read_groups(redis, stream_for(f)) for f in FAMILIES}
        streams = {stream_for(f): await read_stream(redis, stream_for(f)) for f in FAMILIES}
        dead = await list_dead_letters(redis, list(parts))
        inboxes = {s: await read_inbox(engines[s], parts[s]) for s in parts}
        # A cause's inbox row and its effects commit together: read the outbox again
        # *after* the inbox, so a cause applied meanwhile never looks effect-less.
        rule_services = {r.service for r in list(DEFAULT_RULES) + [r for p in parts.values() for r in p.rules]}
        effects_outboxes = {s: await read_outbox(engines[s], parts[s]) for s in parts if s in rule_services}
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
                    classify(
                        flow, row, inboxes[consumer], dead_ids[consumer], streams[stream].get(row.event_id), group_state
                    )
                report.flows.append(flow)

    rules = list(DEFAULT_RULES) + [r for p in parts.values() for r in p.rules]
    for rule in rules:
        if rule.service in parts:
            report.rules.append(judge_rule(rule, inboxes[rule.service], effects_outboxes[rule.service]))
    return report
