"""What notify's handlers and loops need besides a unit of work: reference data (the
follow-up policy with it), the templates, its own settings and this process's worker
name. Built once in ``bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from services.notify.domain.templates import TemplateBook, TemplateError
from services.notify.settings import NotifySettings
from shared.events import Actor
from shared.followups import FollowupPolicy
from shared.reference import ReferenceData

NOTIFY_ACTOR = Actor(role="system", id="notify")
TEMPLATES_FILE = Path(__file__).resolve().parent.parent / "templates" / "ja.yaml"


@dataclass
class NotifyContext:
    reference: ReferenceData
    templates: TemplateBook
    options: NotifySettings
    worker: str

    @property
    def policy(self) -> FollowupPolicy:
        """The follow-up policy of the reference data in use (a reload swaps both)."""
        return self.reference.followups

    def agency_name(self, agency_id: str) -> str:
        agency = self.reference.agency(agency_id)
        return agency.name if agency else agency_id

    def agency_kind(self, agency_id: str) -> str | None:
        agency = self.reference.agency(agency_id)
        return agency.kind if agency else None

    def agency_calendar(self, agency_id: str) -> str | None:
        agency = self.reference.agency(agency_id)
        return agency.calendar if agency else None


def load_templates(path: Path = TEMPLATES_FILE) -> TemplateBook:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TemplateError(f"file missing: {path}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return TemplateBook.from_mapping(raw)
    except TemplateError as exc:
        raise TemplateError(f"{path}: {exc}") from exc
