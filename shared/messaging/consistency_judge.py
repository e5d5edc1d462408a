"""How ``tsunagi check`` judges one published event for one consumer, and one causal
rule. An event retention erased (its outbox row kept without its personal fields, its
stream entries deleted: ``erasure.py``) that no consumer applied is *erased*, not lost:
the row is kept, ids, type and causes intact, precisely so that the check still
balances; a row without the mark gone from the stream unapplied is still lost."""

from __future__ import annotations

from collections import Counter

from shared.messaging.consistency_report import CausalRule, Flow, OutboxRow, RuleResult
from shared.messaging.retention import parse_id


def classify(
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
    elif row.erased:
        flow.erased += 1  # its entries deleted on purpose: no one is to apply it now
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


def judge_rule(rule: CausalRule, inbox: dict[str, str], outbox: list[OutboxRow]) -> RuleResult:
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
