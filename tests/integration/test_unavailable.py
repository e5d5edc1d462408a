"""While the database is down intake says 503 with Retry-After — it never claims to
have accepted what it did not store — and it recovers by itself."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from shared.settings import PROJECT_ROOT
from tests.support.servers import PostgresServer
from tests.support.services import bearer, eventually, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


async def test_intake_answers_503_while_postgres_is_down(make_settings, tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "pg")
    server.init()
    server.start()
    try:
        settings = make_settings(database_url=server.url)
        async with running_service("intake", settings) as intake:
            reporter = bearer(settings, "reporter", "vol-1")
            assert (await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)).status_code == 201

            server.stop()
            down = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
            assert down.status_code == 503, down.text
            assert down.headers["retry-after"].isdigit()
            assert down.json()["type"].endswith("/unavailable")

            server.start()

            async def accepted() -> bool:
                return (await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)).status_code == 201

            await eventually(accepted, timeout=20, interval=0.5, what="intake to recover")
        conn = await asyncpg.connect(server.url)
        try:
            stored = await conn.fetchval("SELECT count(*) FROM intake.consultations")
        finally:
            await conn.close()
        assert stored == 2  # the first and the recovered one; the refused one was never stored
    finally:
        server.remove()
