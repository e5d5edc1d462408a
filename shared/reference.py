"""The city's reference data (``reference/*.yaml``): loaded and validated as a whole,
so a mistake in a file is reported with the file, the entry and the field, and a
half-valid set is never used. Services read the parts they need — the follow-up policy
(``followups.yaml``, ``shared.followups``) included, so a reload reloads it too."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from shared.followups import FILE as FOLLOWUPS_FILE
from shared.followups import FollowupPolicy, FollowupPolicyError, load_followup_policy

CITY_WIDE = "市全域"  # the queue for consultations whose school district is unknown
UNKNOWN_DISTRICT = "不明"


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Office(BaseModel):
    """Where the area's coordinators can be reached (shown to agencies on referrals)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    phone: str | None = None
    email: str | None = None


class Area(_Item):
    office: Office | None = None


class SupportCenterDistrict(_Item):
    area: str


class SchoolDistrict(_Item):
    area: str
    support_center_district: str


class Coordinator(_Item):
    area: str


AgencyChannel = Literal["in_app", "email", "webhook"]


class Agency(_Item):
    """An agency a coordinator refers to (関連機関). ``areas`` = daily-life areas served
    ([] = city-wide); ``calendar`` names its business calendar (``jp-public``: Mon–Fri,
    ``jp-public-sat``: Mon–Sat; both skip public holidays and the year-end closure)."""

    kind: str = Field(min_length=1)
    areas: list[str] = []
    channels: list[AgencyChannel] = Field(default_factory=lambda: list[AgencyChannel](["in_app"]), min_length=1)
    calendar: str = "jp-public"
    email: str | None = None
    webhook_url: str | None = None
    phone: str | None = None

    @model_validator(mode="after")
    def _channels_have_addresses(self) -> Agency:
        if "email" in self.channels and not self.email:
            raise ValueError("channel 'email' needs an email address")
        if self.email is not None and "@" not in self.email:
            raise ValueError(f"email {self.email!r} is not an email address")
        if "webhook" in self.channels and not self.webhook_url:
            raise ValueError("channel 'webhook' needs a webhook_url")
        if self.webhook_url is not None and not self.webhook_url.startswith(("https://", "http://")):
            raise ValueError(f"webhook_url {self.webhook_url!r} must be an http(s) URL")
        return self


class ReferenceData(BaseModel):
    model_config = ConfigDict(frozen=True)

    sample: bool
    areas: list[Area]
    support_center_districts: list[SupportCenterDistrict]
    school_districts: list[SchoolDistrict]
    categories: list[_Item]
    reporter_roles: list[_Item]
    # Community helpers' kinds (地域の支援者: ほっとネット推進員, 民生委員・児童委員, 協力員):
    # each is a reporter kind too, since a helper also raises consultations.
    helper_kinds: list[_Item] = []
    channels: list[_Item]
    age_groups: list[_Item]
    coordinators: list[Coordinator]
    supervisors: list[_Item]
    agencies: list[Agency]
    # Days an agency may still read a completed referral's personal fields.
    agency_access_days_after_completion: int = Field(30, ge=0, le=3650)
    # Years after closing (終結) a case's personal fields are kept (retention.yaml).
    closed_case_retention_years: int = Field(ge=1, le=100)
    # The follow-up deadlines (followups.yaml), checked on their own before this model.
    followups: FollowupPolicy

    @model_validator(mode="after")
    def _consistent(self) -> ReferenceData:
        areas = {a.id for a in self.areas}
        centers = {c.id for c in self.support_center_districts}
        problems = []
        for group in (
            "areas",
            "support_center_districts",
            "school_districts",
            "categories",
            "reporter_roles",
            "helper_kinds",
            "channels",
            "age_groups",
            "coordinators",
            "agencies",
        ):
            ids = [item.id for item in getattr(self, group)]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                problems.append(f"{group}: duplicate ids {dupes}")
        for c in self.support_center_districts:
            if c.area not in areas:
                problems.append(f"support_center_districts[{c.id}].area: unknown area {c.area!r}")
        for d in self.school_districts:
            if d.area not in areas:
                problems.append(f"school_districts[{d.id}].area: unknown area {d.area!r}")
            if d.support_center_district not in centers:
                problems.append(
                    f"school_districts[{d.id}].support_center_district: unknown {d.support_center_district!r}"
                )
        reporter_kinds = {r.id for r in self.reporter_roles}
        for k in self.helper_kinds:
            if k.id not in reporter_kinds:
                problems.append(f"helper_kinds[{k.id}]: not one of reporter_roles")
        for co in self.coordinators:
            if co.area not in areas:
                problems.append(f"coordinators[{co.id}].area: unknown area {co.area!r}")
        for a in self.agencies:
            for area in a.areas:
                if area not in areas:
                    problems.append(f"agencies[{a.id}].areas: unknown area {area!r}")
            # Its deadlines would otherwise be counted on the wrong days.
            if not self.followups.has_calendar(a.calendar):
                problems.append(
                    f"agencies[{a.id}].calendar: {a.calendar!r} is not defined in {FOLLOWUPS_FILE} "
                    f"(calendars: {', '.join(self.followups.calendars)})"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # Look-ups (indexes built once: the data is frozen; a reload builds a new object) --
    @cached_property
    def _by_id(self) -> dict[str, dict[str, Any]]:
        return {group: {item.id: item for item in items} for group, items in self if isinstance(items, list)}

    @cached_property
    def _ids(self) -> dict[str, frozenset[str]]:
        return {group: frozenset(items) for group, items in self._by_id.items()}

    def school_district(self, district_id: str) -> SchoolDistrict | None:
        return self._by_id["school_districts"].get(district_id)

    def area_of_district(self, district_id: str) -> str:
        """School district → daily-life area; unknown goes to the city-wide queue."""
        district = self.school_district(district_id)
        return district.area if district else CITY_WIDE

    def agency(self, agency_id: str) -> Agency | None:
        return self._by_id["agencies"].get(agency_id)

    def area(self, area_id: str) -> Area | None:
        return self._by_id["areas"].get(area_id)

    def coordinator(self, coordinator_id: str) -> Coordinator | None:
        return self._by_id["coordinators"].get(coordinator_id)

    def ids(self, group: str) -> frozenset[str]:
        return self._ids[group]

    def area_ids(self) -> frozenset[str]:
        return self.ids("areas") | {CITY_WIDE}


class ReferenceDataError(Exception):
    pass


FILES = (
    "geography.yaml",
    "categories.yaml",
    "reporters.yaml",
    "age_groups.yaml",
    "coordinators.yaml",
    "agencies.yaml",
    "retention.yaml",
)


def load_reference_data(folder: Path, followups_file: Path | None = None) -> ReferenceData:
    """``followups_file``: another follow-up policy than ``folder/followups.yaml``
    (notify's ``TSUNAGI_NOTIFY_FOLLOWUP_POLICY``)."""
    try:
        followups = load_followup_policy(followups_file or folder / FOLLOWUPS_FILE)
    except FollowupPolicyError as exc:
        raise ReferenceDataError(str(exc)) from exc
    merged: dict[str, Any] = {}
    samples = []
    for name in FILES:
        path = folder / name
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError as exc:
            raise ReferenceDataError(f"reference data file missing: {path}") from exc
        except yaml.YAMLError as exc:
            raise ReferenceDataError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(content, dict):
            raise ReferenceDataError(f"{path}: expected a mapping at the top level")
        samples.append(bool(content.pop("sample", False)))
        content.pop("city", None)
        merged.update(content)
    merged["sample"] = any(samples) or followups.sample
    merged["followups"] = followups
    try:
        return ReferenceData.model_validate(merged)
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ReferenceDataError(f"reference data in {folder} is invalid:\n" + "\n".join(lines)) from exc


class ReloadableReference:
    """The reference data a running service uses, reloadable without a restart
    (``POST /v1/admin/reference/reload``). A reload validates the whole folder first
    (the follow-up policy with it) and only then swaps it in, so a bad edit never
    replaces good data. Attribute access is delegated, so it stands wherever a
    ``ReferenceData`` is read; read ``followups`` once per decision, not once per span,
    so a reload in between cannot mix two policies."""

    def __init__(self, folder: Path, followups_file: Path | None = None) -> None:
        self.folder = folder
        self.followups_file = followups_file
        self._current = load_reference_data(folder, followups_file)
        self.generation = 1

    @property
    def current(self) -> ReferenceData:
        return self._current

    @property
    def live(self) -> ReferenceData:
        """Itself, typed as the data it stands for (``__getattr__`` delegates every read):
        unlike ``current``, the data now, what is read through it is always the latest reload."""
        return cast(ReferenceData, self)

    def reload(self) -> ReferenceData:
        fresh = load_reference_data(self.folder, self.followups_file)  # raises ReferenceDataError, keeping the old data
        self._current = fresh
        self.generation += 1
        return fresh

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current, name)
