"""Notification texts from templates (``services/notify/templates/ja.yaml``).

Each template names its recipient role and may only use the placeholders that role
may see: a template asking a reporter's notice for a case number is refused when the
templates load, not discovered in production."""

from __future__ import annotations

from dataclasses import dataclass
from string import Template
from typing import Any

_AGENCY = frozenset({"agency_name", "referral_ref", "urgency", "deadline", "step_label", "late"})
# A community helper watching over someone (見守り): when, never whom or where.
_HELPER = frozenset({"deadline", "late", "task_kind"})
_COORDINATOR = _AGENCY | {"case_number", "area", "reason", "task_kind", "helper_id", "move_label"}
_SUPERVISOR = _COORDINATOR | {"channel_label", "recipient", "notification_title", "attempts", "error"}
ALLOWED: dict[str, frozenset[str]] = {
    "reporter": frozenset(),  # the stage only, never details
    "helper": _HELPER,
    "agency": _AGENCY,
    "coordinator": _COORDINATOR,
    "supervisor": _SUPERVISOR,
}

STEP_LABELS = {
    "acknowledge": "受領確認",
    "decide": "受諾の判断",
    "progress": "経過報告",
    "checkin": "見守りの確認",
    "helper_task": "支援者への依頼",
    "approval": "監督者の承認",
    "task": "会議で決めた役割",
}
CHANNEL_LABELS = {"email": "メール", "webhook": "Webhook", "in_app": "アプリ内通知"}


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str


@dataclass(frozen=True)
class NotificationTemplate:
    kind: str
    recipient: str
    title: Template
    body: Template

    def placeholders(self) -> set[str]:
        return set(self.title.get_identifiers()) | set(self.body.get_identifiers())

    def render(self, values: dict[str, Any]) -> Rendered:
        allowed = {k: _text(v) for k, v in values.items() if k in ALLOWED[self.recipient]}
        missing = self.placeholders() - set(allowed)
        if missing:
            raise TemplateError(f"template {self.kind}: no value for {sorted(missing)}")
        return Rendered(title=self.title.substitute(allowed), body=self.body.substitute(allowed))


def _text(value: Any) -> str:
    return "(未記入)" if value is None or value == "" else str(value)


class TemplateBook:
    def __init__(self, templates: dict[str, NotificationTemplate]) -> None:
        self.templates = templates

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> TemplateBook:
        if not isinstance(raw, dict):
            raise TemplateError("templates: expected a mapping of kind → {recipient, title, body}")
        templates = {}
        for kind, entry in raw.items():
            if not isinstance(entry, dict) or set(entry) != {"recipient", "title", "body"}:
                raise TemplateError(f"template {kind}: needs exactly recipient, title and body")
            role = entry["recipient"]
            if role not in ALLOWED:
                raise TemplateError(f"template {kind}: unknown recipient role {role!r}")
            template = NotificationTemplate(
                kind=kind, recipient=role, title=Template(str(entry["title"])), body=Template(str(entry["body"]))
            )
            if not (template.title.is_valid() and template.body.is_valid()):
                raise TemplateError(f"template {kind}: a $ placeholder is malformed")
            forbidden = template.placeholders() - ALLOWED[role]
            if forbidden:
                raise TemplateError(f"template {kind}: a {role} may not see {sorted(forbidden)}")
            templates[kind] = template
        return cls(templates)

    def render(self, kind: str, role: str, values: dict[str, Any]) -> Rendered:
        template = self.templates.get(kind)
        if template is None:
            raise TemplateError(f"no template for {kind}")
        if template.recipient != role:
            raise TemplateError(f"template {kind} is for a {template.recipient}, not a {role}")
        return template.render(values)
