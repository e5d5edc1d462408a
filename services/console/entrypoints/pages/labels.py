"""Names for the ids the services answer with, from the city's reference data (the
console loads the same files): school districts, categories, coordinators, agencies."""

from __future__ import annotations

from dataclasses import dataclass

from shared.reference import CITY_WIDE, UNKNOWN_DISTRICT, ReferenceData

CASE_STATUSES = ("受付", "対応中", "つなぎ中", "見守り", "終結")
PRIORITIES = ("緊急", "高", "通常")
CONSENTS = ("同意あり", "同意なし", "未確認")


@dataclass(frozen=True)
class Labels:
    reference: ReferenceData

    def district(self, district_id: str | None) -> str:
        if not district_id or district_id == UNKNOWN_DISTRICT:
            return "不明"
        found = self.reference.school_district(district_id)
        return found.name if found else district_id

    def category(self, category_id: str) -> str:
        found = next((c for c in self.reference.categories if c.id == category_id), None)
        return found.name if found else category_id

    def categories(self, ids: list[str]) -> str:
        return "、".join(self.category(c) for c in ids)

    def coordinator(self, coordinator_id: str | None) -> str:
        if not coordinator_id:
            return "未割当"
        found = next((c for c in self.reference.coordinators if c.id == coordinator_id), None)
        return found.name if found else coordinator_id

    def agency(self, agency_id: str | None) -> str:
        found = self.reference.agency(agency_id) if agency_id else None
        return found.name if found else (agency_id or "")

    def reporter_role(self, role_id: str) -> str:
        found = next((r for r in self.reference.reporter_roles if r.id == role_id), None)
        return found.name if found else role_id

    def channel(self, channel_id: str) -> str:
        found = next((c for c in self.reference.channels if c.id == channel_id), None)
        return found.name if found else channel_id

    def area(self, area_id: str) -> str:
        return area_id

    def coordinators_of(self, area: str) -> list[tuple[str, str]]:
        """The coordinators a case of ``area`` may be given to (the city-wide queue: anyone)."""
        return [
            (c.id, f"{c.name}({c.area})") for c in self.reference.coordinators if area == CITY_WIDE or c.area == area
        ]

    def district_options(self, area: str | None) -> list[tuple[str, str]]:
        """The school districts of an area (every one for the city-wide queue or a supervisor)."""
        return [
            (d.id, d.name) for d in self.reference.school_districts if area in (None, CITY_WIDE) or d.area == area
        ] + [(UNKNOWN_DISTRICT, "不明")]

    def category_options(self) -> list[tuple[str, str]]:
        return [(c.id, c.name) for c in self.reference.categories]
