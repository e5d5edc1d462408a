"""What ``tsunagi check`` reports (``consistency.py`` gathers it): per flow of one event
type from its publisher to one consumer, how many were applied, are in flight, were
dead-lettered, were erased by retention or are lost; per causal rule, the causes left
without an effect or with two."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
    erased: int = 0  # never applied, and retention erased it: not a loss
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
    def erased(self) -> int:
        return sum(f.erased for f in self.flows)

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
            "erased": self.erased,
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
    erased: bool = False  # retention erased its personal fields and its stream entries
