"""How long each console page takes on the server: the console's own Server-Timing
(``app``, which includes the calls it makes to the services), p50/p95 over ``--repeat``
reads, one signed-in person at a time — first with the labelled sample data, then after
``--cases`` more consultations went through intake and became cases (the services' own
path, not a bulk load). Writes ``bench/results/pages-{sqlite,postgresql}.{json,md}``.

    python -m bench.pages --cases 10000            # SQLite, as `make up`
    TSUNAGI_DATABASE_URL=postgresql://… python -m bench.pages --cases 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.load import submit_all
from bench.procs import private_redis
from bench.system import running_system, scratch_postgres
from bench.workload import consultations, reporter_tokens
from services.console.handlers.samples import DEFAULT_SAMPLE_PASSWORD, sample_code
from shared.cli.seed import seed_once
from shared.cli.up import create_sample_accounts
from shared.clock import utcnow
from shared.identity import issue_token

RESULTS = Path(__file__).with_name("results")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMING = re.compile(r"app;dur=([0-9.]+)")


async def sign_in(base: str, account_id: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    form = await client.get("/signin")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    answer = await client.post(
        "/signin", data={"account_id": account_id, "password": DEFAULT_SAMPLE_PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text[:300]
    second = await client.get("/signin/code")
    if second.status_code == 200:  # a SAMPLE account with a second factor: its published key's code
        token = CSRF.search(second.text).group(1)  # type: ignore[union-attr]
        answer = await client.post("/signin/code", data={"code": sample_code(utcnow()), "csrf_token": token})
        assert answer.status_code == 303, answer.text[:300]
    return client


async def time_page(client: httpx.AsyncClient, path: str, repeat: int) -> dict[str, float]:
    server, wall = [], []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        answer = await client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        assert answer.status_code in (200, 303), (path, answer.status_code, answer.text[:300])
        found = TIMING.search(answer.headers.get("server-timing", ""))
        server.append(float(found.group(1)) if found else float("nan"))
    server, wall = server[1:], wall[1:]  # the first read warms the templates up

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, round(0.95 * len(values)) - 1)]

    return {
        "p50_ms": round(statistics.median(server), 1),
        "p95_ms": round(p95(server), 1),
        "wall_p50_ms": round(statistics.median(wall), 1),
        "n": len(server),
    }


async def pages_of(system: Any, coordinator: httpx.AsyncClient) -> dict[str, str]:
    """The addresses a coordinator opens: a case of theirs with a referral if one exists."""
    token = issue_token(system.settings, role="coordinator", scope="中部", subject="csw-chubu-1")
    async with httpx.AsyncClient(base_url=system.url("case"), timeout=30) as case:
        queue = (
            await case.get("/v1/cases", params={"per_page": 1}, headers={"authorization": f"Bearer {token}"})
        ).json()
    case_id = queue["items"][0]["id"]
    number = queue["items"][0]["case_number"]
    last_page = max(1, -(-int(queue["total"]) // 25))
    return {
        "queue": "/queue",
        "queue (未割当)": "/queue?view=unassigned",
        "queue (filtered)": "/queue?priority=高&priority=緊急&category=高齢者介護",
        "queue (last page)": f"/queue?page={last_page}",
        "case": f"/cases/{case_id}",
        "refer": f"/cases/{case_id}/refer",
        "timeline": f"/cases/{case_id}/timeline",
        "search (number)": f"/search?q={number}",
        "search (name)": "/search?q=サンプル 花子",
        "notifications": "/notifications",
    }


AGENCY_CHOICE = re.compile(r'name="agency_id".*?<option value="([^"]+)"', re.DOTALL)
INBOX_LINK = re.compile(r'href="/inbox/([0-9A-Za-z]+)"')


async def refer_one(system: Any, coordinator: httpx.AsyncClient) -> str:
    """Takes a case of the coordinator's and refers it to the first agency its refer page
    offers, as the walk-through does; returns that agency's id (its staff: ``{id}-staff``)."""
    token = issue_token(system.settings, role="coordinator", scope="中部", subject="csw-chubu-1")
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=system.url("case"), timeout=30) as case:
        case_id = (await case.get("/v1/cases", params={"per_page": 1}, headers=headers)).json()["items"][0]["id"]
        version = (await case.get(f"/v1/cases/{case_id}", headers=headers)).json()["version"]
        answer = await case.post(
            f"/v1/cases/{case_id}/assignment",
            headers=headers,
            json={"coordinator_id": "csw-chubu-1", "version": version},
        )
        assert answer.status_code == 200, answer.text[:300]
        agency_id = AGENCY_CHOICE.search((await coordinator.get(f"/cases/{case_id}/refer")).text).group(1)  # type: ignore[union-attr]
        version = (await case.get(f"/v1/cases/{case_id}", headers=headers)).json()["version"]
        answer = await case.post(
            f"/v1/cases/{case_id}/referrals",
            headers=headers,
            json={
                "agency_id": agency_id,
                "purpose": "サンプル: 計測用の紹介",
                "share": ["age_group", "categories"],
                "version": version,
            },
        )
        assert answer.status_code == 201, answer.text[:300]
    return agency_id


async def measure(system: Any, repeat: int, agency_id: str) -> dict[str, dict[str, float]]:
    base = system.url("console")
    coordinator = await sign_in(base, "csw-chubu-1")
    reporter = await sign_in(base, "sample-minsei-1")
    admin = await sign_in(base, "admin-1")
    agency = await sign_in(base, f"{agency_id}-staff")
    supervisor = await sign_in(base, "sv-1")
    try:
        found = {
            name: await time_page(coordinator, path, repeat)
            for name, path in (await pages_of(system, coordinator)).items()
        }
        found["reporter form"] = await time_page(reporter, "/report", repeat)
        found["my consultations"] = await time_page(reporter, "/my", repeat)
        found["accounts"] = await time_page(admin, "/admin/accounts", repeat)
        found["sign-in page"] = await time_page(httpx.AsyncClient(base_url=base), "/signin", repeat)
        found["agency inbox"] = await time_page(agency, "/inbox", repeat)
        referral_id = INBOX_LINK.search((await agency.get("/inbox")).text).group(1)  # type: ignore[union-attr]
        found["agency referral"] = await time_page(agency, f"/inbox/{referral_id}", repeat)
        found["agency print"] = await time_page(agency, f"/inbox/{referral_id}/print", repeat)
        found["dashboard (month)"] = await time_page(supervisor, "/dashboard", repeat)
        found["dashboard (fiscal year)"] = await time_page(supervisor, "/dashboard?period=fiscal_year", repeat)
        found["overdue"] = await time_page(supervisor, "/overdue", repeat)
        case_id = (await pages_of(system, coordinator))["case"].rsplit("/", 1)[1]
        found["case audit"] = await time_page(supervisor, f"/audit/{case_id}", repeat)
        found["operations"] = await time_page(supervisor, "/operations", repeat)
    finally:
        for client in (coordinator, reporter, admin, agency, supervisor):
            await client.aclose()
    return found


async def load_cases(system: Any, n: int) -> float:
    started = time.perf_counter()
    bodies = consultations(n)
    answers = await submit_all(system.url("intake"), bodies, reporter_tokens(system.settings), concurrency=8)
    assert sum(1 for a in answers if a.status == 201) == n
    token = issue_token(system.settings, role="supervisor", scope="city", subject="sv-1")
    async with httpx.AsyncClient(base_url=system.url("case"), timeout=60) as case:
        while True:  # until the case service has opened them all
            total = (
                await case.get("/v1/cases", params={"per_page": 1}, headers={"authorization": f"Bearer {token}"})
            ).json()["total"]
            if total >= n:
                return time.perf_counter() - started
            await asyncio.sleep(2)


def markdown(results: dict[str, Any]) -> str:
    stages = list(results["stages"])
    lines = [
        f"# Console pages: server time (ms), {results['database']}, {results['repeat']} reads each",
        "",
        "| page | " + " | ".join(f"{s} p50 / p95" for s in stages) + " |",
        "| --- | " + " | ".join("---" for _ in stages) + " |",
    ]
    for page in results["stages"][stages[0]]:
        cells = [f"{results['stages'][s][page]['p50_ms']} / {results['stages'][s][page]['p95_ms']}" for s in stages]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> int:
    admin_url = os.environ.get("TSUNAGI_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="tsunagi-pages-") as tmp, private_redis(Path(tmp) / "redis") as (redis, _):
        async with scratch_postgres(admin_url) if admin_url else _none() as database_url:
            async with running_system(Path(tmp), redis_url=redis, database_url=database_url, replicas={}) as system:
                await asyncio.to_thread(create_sample_accounts, system.settings)
                await asyncio.to_thread(
                    seed_once, system.settings, {s: system.url(s) for s in ("intake", "case", "referral", "notify")}
                )
                await asyncio.sleep(2)  # the sample cases opened
                coordinator = await sign_in(system.url("console"), "csw-chubu-1")
                agency_id = await refer_one(system, coordinator)
                await coordinator.aclose()
                await asyncio.sleep(2)  # the referral reached the referral service
                stages = {"sample data": await measure(system, args.repeat, agency_id)}
                if args.cases:
                    took = await load_cases(system, args.cases)
                    print(f"loaded {args.cases} consultations in {took:.0f} s", flush=True)
                    stages[f"+{args.cases} cases"] = await measure(system, args.repeat, agency_id)
    results = {"database": "PostgreSQL" if admin_url else "SQLite", "repeat": args.repeat, "stages": stages}
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"pages-{'postgresql' if admin_url else 'sqlite'}"
    stem.with_suffix(".json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    return 0


class _none:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_: object) -> None:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=0, help="consultations to add before the second measurement")
    parser.add_argument("--repeat", type=int, default=30, help="reads of each page")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
