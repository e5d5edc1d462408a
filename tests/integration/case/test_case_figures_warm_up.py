"""The case service runs its figures while it starts (entrypoints/warm_up.py): the first
supervisor's request then compiles nothing on the event loop; a warm-up that fails does
not stop the start. And every figure answers on a database without a case (the all-time
figures were a 500 there: no month to cut) — on both databases."""

from __future__ import annotations

from case_helpers import coordinator, supervisor
from figures_support import ok

import services.case.entrypoints.warm_up as warm_up
from shared.periods import PERIOD_KINDS
from tests.support.services import running_service

ASKED = [{}, *({"period": kind} for kind in PERIOD_KINDS)]


async def test_every_figure_answers_before_the_first_case(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("case", settings) as case:
        for caller in (supervisor(settings), coordinator(settings)):
            for params in ASKED:
                for fmt in ("json", "csv"):
                    answer = await case.get("/v1/figures", headers=caller, params={**params, "format": fmt})
                    assert answer.status_code == 200, (params, fmt, answer.text)
        every = await ok(await case.get("/v1/figures", headers=supervisor(settings)))
        assert every["cases"]["total"] == 0 and every["time_to_assignment"]["count"] == 0


async def test_start_up_compiles_the_figures_statements(make_settings, database_backend) -> None:
    settings = make_settings(warm_up_figures=True)
    async with running_service("case", settings) as case:
        runtime = case.app.state.services.runtime  # type: ignore[attr-defined]
        compiled = runtime.read_engine.sync_engine._compiled_cache
        before = len(compiled)
        for caller in (supervisor(settings), coordinator(settings, "南部", "csw-nanbu-1")):
            for params in ASKED:
                await ok(await case.get("/v1/figures", headers=caller, params=params))
        assert len(compiled) == before


async def test_a_failed_warm_up_does_not_stop_the_start(make_settings, monkeypatch) -> None:
    async def broken(*_: object) -> None:
        raise ConnectionError("database away")

    monkeypatch.setattr(warm_up, "figures", broken)
    settings = make_settings(warm_up_figures=True)
    async with running_service("case", settings) as case:
        assert (await case.get("/health")).status_code == 200
        await ok(await case.get("/v1/figures", headers=supervisor(settings)))
