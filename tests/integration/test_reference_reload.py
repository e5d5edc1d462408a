"""The city edits reference/*.yaml and reloads it without a restart; a bad edit is
refused with what is wrong, and the data in use stays as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from shared.settings import PROJECT_ROOT
from tests.support.services import bearer, running_service

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

        geography.write_text(geography.read_text(encoding="utf-8").replace("area: 西部\n    support_center_district: HC6\n",
                                                                           "area: 東部\n    support_center_district: HC6\n"),
                             encoding="utf-8")
        refused = await intake.post("/v1/admin/reference/reload", headers=supervisor)
        assert refused.status_code == 422
        assert "unknown area '東部'" in refused.json()["errors"][0]["msg"]
        # The good data stays in use.
        assert (await intake.post("/v1/consultations", json=body, headers=reporter)).status_code == 201
