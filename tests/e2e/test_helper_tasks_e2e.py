"""Community helpers across the system, as separate processes on real Redis (SQLite and
PostgreSQL): an account with the helper grant is created in the console, and the case
service learns it through the console's outbox; the coordinator gives the helper a task,
the helper reads only what it shares, takes it on, records a check-in and reports it
done, hears of the task in their own inbox, and the case's timeline tells the story."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from services.console.adapters.orm import messaging
from services.console.domain.accounts import Grant
from services.console.handlers.accounts import AccountCommand, add_account
from shared.clock import Clock
from shared.db.engine import make_engine
from shared.db.uow import UnitOfWork
from shared.events import Actor
from shared.reference import load_reference_data
from shared.settings import Settings
from tests.e2e.test_flow import EXAMPLE
from tests.support.services import bearer
from tests.support.system import running_system, wait_for

HELPER = "hotnet-e2e"


def _create_helper(settings: Settings) -> None:
    async def run() -> None:
        engine = make_engine(settings, "console", pool_size=1)
        try:
            command = AccountCommand(
                UnitOfWork(engine, messaging, Clock()), Actor(role="system", id="e2e"), "e2e", timedelta(minutes=5)
            )
            await add_account(
                command,
                load_reference_data(settings.reference_dir),
                account_id=HELPER,
                display_name="サンプル 推進員",
                password="e2e-helper-password",
                grants=[Grant("reporter", "", "ほっとネット推進員"), Grant("helper", "中部", "ほっとネット推進員")],
            )
        finally:
            await engine.dispose()

    asyncio.run(run())


# As separate processes on the production database: the same rules run in-process on
# SQLite and PostgreSQL in tests/integration (test_flow keeps the e2e on SQLite).
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_helper_created_in_the_console_is_given_a_task_and_works_it(
    tmp_path: Path, redis_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    database_url = request.getfixturevalue("postgres_database_url") if backend == "postgresql" else None
    with running_system(tmp_path, redis_url=redis_url, database_url=database_url) as system:
        settings = system.settings
        coordinator = bearer(settings, "coordinator", "中部", subject="csw-chubu-1")
        helper = bearer(settings, "helper", "中部", subject=HELPER)
        intake, case, notify = (system.client(s) for s in ("intake", "case", "notify"))
        _create_helper(settings)
        body = {**EXAMPLE, "consent": "同意あり"}
        created = intake.post("/v1/consultations", json=body, headers=bearer(settings, "reporter", "vol-e2e"))
        assert created.status_code == 201, created.text
        reference = created.json()["reference"]

        def opened() -> dict | None:
            found = case.get("/v1/cases/search", params={"q": reference}, headers=coordinator).json()["items"]
            return found[0] if found else None

        case_id = wait_for(opened, "the case")["id"]
        version = case.get(f"/v1/cases/{case_id}", headers=coordinator).json()["version"]
        answer = case.post(
            f"/v1/cases/{case_id}/assignment",
            json={"coordinator_id": "csw-chubu-1", "version": version},
            headers=coordinator,
        )
        version = answer.json()["version"]
        registered = wait_for(
            lambda: case.get("/v1/helpers", headers=coordinator).json()["items"], "the helper learned from the console"
        )
        assert [(h["account_id"], h["kind"]) for h in registered] == [(HELPER, "ほっとネット推進員")]

        task = {"helper_id": HELPER, "kind": "同行", "instructions": "サンプル: 通院に付き添ってください"}
        given = case.post(
            f"/v1/cases/{case_id}/helper-tasks",
            json={**task, "share": ["approximate_place", "categories"], "due_on": None, "version": version},
            headers=coordinator,
        )
        assert given.status_code == 201, given.text
        task_id = given.json()["task_id"]
        read = case.get(f"/v1/helper/tasks/{task_id}", headers=helper).json()
        assert read["shared"] == {
            "approximate_place": EXAMPLE["person"]["approximate_place"],
            "categories": EXAMPLE["categories"],
        }
        for path, payload, expected in (
            ("accept", {}, 200),
            ("checkins", {"kind": "訪問", "outcome": "変わりなし"}, 201),
            ("done", {"reason": "サンプル: 付き添い済み"}, 200),
        ):
            moved = case.post(f"/v1/helper/tasks/{task_id}/{path}", json=payload, headers=helper)
            assert moved.status_code == expected, moved.text

        def told() -> list[str]:
            return [n["kind"] for n in notify.get("/v1/notifications", headers=helper).json()["items"]]

        assert wait_for(told, "the helper's notice") == ["helper_task_new"]

        def story() -> set[str]:
            types = {e["type"] for e in case.get(f"/v1/cases/{case_id}/timeline", headers=coordinator).json()["items"]}
            wanted = {
                "case.helper_task_assigned",
                "case.helper_task_accepted",
                "case.helper_task_checked_in",
                "case.helper_task_done",
            }
            return wanted if wanted <= types else set()

        wait_for(story, "the task's story on the timeline")
