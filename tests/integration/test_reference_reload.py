"""The city edits reference/*.yaml and reloads it without a restart; a bad edit is
refused with what is wrong, and the data in use stays as it was."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import yaml

from shared.clock import JST, as_utc
from shared.settings import PROJECT_ROOT
from tests.integration.referral.referral_support import publish, published, requested
from tests.support.services import bearer, eventually, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
NEW_DISTRICT = """  - id: SD21
    name: サンプル第21小学校区
    area: 西部
    support_center_district: HC6
"""


async def test_reload_reference_data(make_settings, tmp_path: Path) -> None:
    folder = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    settings = make_settings(reference_dir=folder)
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        supervisor = bearer(settings, "supervisor", "city")
        body = {**EXAMPLE, "school_district": "SD21"}
        assert (await intake.post("/v1/consultations", json=body, headers=reporter)).status_code == 422

        geography = folder / "geography.yaml"
        geography.write_text(geography.read_text(encoding="utf-8") + NEW_DISTRICT, encoding="utf-8")
        forbidden = await intake.post("/v1/admin/reference/reload", headers=bearer(settings, "coordinator", "中部"))
        assert forbidden.status_code == 403
        reloaded = await intake.post("/v1/admin/reference/reload", headers=supervisor)
        assert reloaded.status_code == 200, reloaded.text
        assert reloaded.json()["school_districts"] == 21
        assert (await intake.post("/v1/consultations", json=body, headers=reporter)).status_code == 201

        moved = geography.read_text(encoding="utf-8").replace(
            "area: 西部\n    support_center_district: HC6\n", "area: 東部\n    support_center_district: HC6\n"
        )
        geography.write_text(moved, encoding="utf-8")
        refused = await intake.post("/v1/admin/reference/reload", headers=supervisor)
        assert refused.status_code == 422
        assert "unknown area '東部'" in refused.json()["errors"][0]["msg"]
        # The good data stays in use.
        assert (await intake.post("/v1/consultations", json=body, headers=reporter)).status_code == 201


async def test_a_reload_brings_a_changed_follow_up_policy_in(make_settings, tmp_path: Path) -> None:
    """followups.yaml is part of the reference data: the referral service shows the
    deadlines of the policy reloaded, and refuses a bad edit naming the file and the key."""
    folder = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    settings = make_settings(reference_dir=folder)
    friday = as_utc(datetime(2026, 11, 20, 16, 0, tzinfo=JST))  # Monday 11/23 is a holiday
    policy_file = folder / "followups.yaml"

    async def decide_by(referral_id: str) -> str:
        found = await eventually(lambda: published(settings, referral_id=referral_id), what="referral.received")
        return found[0].payload["decide_by"]

    async with running_service("referral", settings) as referral:
        supervisor = bearer(settings, "supervisor", "city")
        first = requested(agency_id="npo-hikikomori", occurred_at=friday)  # NPO: 5 business days to decide
        await publish(settings, first)
        assert await decide_by(first.aggregate_id) == "2026-11-30T15:00:00Z"  # end of Monday 11/30 JST

        policy = yaml.safe_load(policy_file.read_text(encoding="utf-8"))
        policy["agency_kinds"]["NPO"]["decide"] = {"business_days": 2}
        policy_file.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
        assert (await referral.post("/v1/admin/reference/reload", headers=supervisor)).status_code == 200
        second = requested(agency_id="npo-hikikomori", occurred_at=friday)
        await publish(settings, second)
        assert await decide_by(second.aggregate_id) == "2026-11-25T15:00:00Z"  # end of Wednesday 11/25 JST

        policy["agency_kinds"]["NPO"]["decide"] = {"days": 2}
        policy_file.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
        refused = await referral.post("/v1/admin/reference/reload", headers=supervisor)
        assert refused.status_code == 422
        assert "followups.yaml: agency_kinds.NPO.decide: 'days' is not a span" in refused.json()["errors"][0]["msg"]
        third = requested(agency_id="npo-hikikomori", occurred_at=friday)
        await publish(settings, third)
        assert await decide_by(third.aggregate_id) == "2026-11-25T15:00:00Z"  # the good policy stays
