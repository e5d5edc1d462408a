"""One measured run against a running system: submit N consultations (full speed or at
a fixed rate), wait for their cases, optionally refer some of them to an agency, and
report throughput, latencies, consumer lag, memory and CPU per consultation."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

import httpx

from bench.load import submit_all
from bench.mixed import check_visible_over_http, read_while
from bench.stats import latency_summary, per_second
from bench.system import BenchSystem
from bench.watch import Sampler, StreamWatcher, wait_until_drained, wait_until_idle
from bench.work import Where, difference, snapshot
from bench.workload import COORDINATOR_OF_AREA, consultations, realistic_consultations, reporter_tokens
from shared.identity import issue_token

AGENCY_OF_AREA = {"北東部": "hc-1", "中部": "hc-3", "西部": "hc-5", "南部": "hc-7"}
HTTP_CHECKS = 10  # cases read over HTTP as soon as their case.opened is seen, to confirm visibility


@dataclass
class Load:
    label: str
    n: int
    rate: float | None = None  # None: full speed
    concurrency: int = 16
    referrals: int = 0  # how many of the cases to refer to an agency
    stall_s: float = 20.0  # give up waiting when no case opened for this long
    realistic: bool = False  # the realistic mix (people reported again, shared places) instead of one case each
    reads_per_s: float = 0.0  # coordinators' reads beside the load (the mixed run)
    http_checks: int = HTTP_CHECKS  # cases read over HTTP once seen (none on the floor: no case API)


async def refer_cases(
    system: BenchSystem,
    client: httpx.AsyncClient,
    watcher: StreamWatcher,
    chosen: list[int],
    accepted: dict[int, str],
    done_loading: asyncio.Event,
) -> list[dict]:
    """As soon as each chosen consultation's case is open (while the load goes on), a
    coordinator of its area takes it (a received case cannot be referred) and refers it
    to the area's support centre. The latency counts from the referral's 201."""
    settings = system.settings
    results: list[dict] = []
    waiting = list(chosen)
    deadline = None
    while waiting:
        for index in list(waiting):
            reference = accepted.get(index)
            opened = watcher.case_of(reference) if reference else None
            if opened is None:
                continue
            waiting.remove(index)
            _, case_id, area = opened
            coordinator = COORDINATOR_OF_AREA.get(area, "csw-chubu-1")
            token = issue_token(settings, role="coordinator", scope=area, subject=coordinator)
            headers = {"authorization": f"Bearer {token}"}
            result = {"reference": reference, "case_id": case_id, "agency_id": AGENCY_OF_AREA.get(area)}
            try:
                detail = await client.get(f"/v1/cases/{case_id}", headers=headers)
                detail.raise_for_status()
                taken = await client.post(
                    f"/v1/cases/{case_id}/assignment",
                    headers=headers,
                    json={"coordinator_id": coordinator, "version": detail.json()["version"]},
                )
                taken.raise_for_status()
                body = {
                    "agency_id": AGENCY_OF_AREA.get(area, "hc-3"),
                    "purpose": "サンプル: ベンチマークの紹介",
                    "share": ["age_group", "categories"],
                    "version": taken.json()["version"],
                }
                requested = time.time()
                answer = await client.post(f"/v1/cases/{case_id}/referrals", json=body, headers=headers)
                result.update(status=answer.status_code, requested_at=requested, answered_at=time.time())
                if answer.status_code == 201:
                    result["referral_id"] = answer.json()["referral_id"]
                else:
                    result["error"] = answer.text[:300]
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                result["error"] = f"{type(exc).__name__}: {exc}"
            results.append(result)
        if done_loading.is_set():
            deadline = deadline or time.monotonic() + 30
            if time.monotonic() > deadline:
                break
        await asyncio.sleep(0.02)
    return results


async def wait_for_cases(watcher: StreamWatcher, references: set[str], stall_s: float) -> None:
    last_count, last_change = -1, time.monotonic()
    while True:
        count = watcher.opened_count(references)
        if count >= len(references):
            return
        if count != last_count:
            last_count, last_change = count, time.monotonic()
        elif time.monotonic() - last_change > stall_s:
            return
        await asyncio.sleep(0.05)


async def wait_for_referrals(watcher: StreamWatcher, referral_ids: set[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with watcher.lock:
            if all(r in watcher.seen.received for r in referral_ids):
                return
        await asyncio.sleep(0.05)


async def run_load(system: BenchSystem, redis_url: str, load: Load, extra_pids: dict[str, int]) -> dict:
    """``extra_pids``: further processes to measure (redis-server, the load generator)."""
    drained_s, backlog_left = await asyncio.to_thread(wait_until_drained, redis_url, 60.0)
    # Bodies and tokens first: the load generator's CPU is counted from the sampler's start.
    bodies = realistic_consultations(load.n) if load.realistic else consultations(load.n)
    tokens = reporter_tokens(system.settings)
    # Made before the sampler too: an httpx client loads the CA certificates (50–90 ms of
    # CPU, holding the GIL) even for plain http.
    client = httpx.AsyncClient(base_url=system.url("case"), timeout=30)
    watcher = StreamWatcher(redis_url)
    # On PostgreSQL the server's CPU is part of the cost too (every postgres process of
    # this machine: nothing else uses the server during the bench).
    server = {"postgresql server": "postgres"} if system.database_url else None
    sampler = Sampler(redis_url, {**system.pids(), **extra_pids}, by_name=server)
    where = Where(redis_url, system.database_url, system.settings.data_dir)
    before = await snapshot(where)
    watcher.start()
    sampler.start()
    chosen = sorted(random.Random(load.n).sample(range(load.n), min(load.referrals, load.n)))
    done_loading = asyncio.Event()
    accepted_refs: dict[int, str] = {}
    referring = reading = None
    checking = asyncio.create_task(
        check_visible_over_http(
            system,
            client,
            watcher,
            accepted_refs,
            list(range(min(load.http_checks, load.n))),
            done_loading,
            load.stall_s,
        )
    )
    try:
        started = time.time()
        if chosen:
            referring = asyncio.create_task(refer_cases(system, client, watcher, chosen, accepted_refs, done_loading))
        if load.reads_per_s:
            reading = asyncio.create_task(read_while(system, client, watcher, load.reads_per_s, done_loading))
        submissions = await submit_all(
            system.url("intake"), bodies, tokens, concurrency=load.concurrency, rate=load.rate, accepted=accepted_refs
        )
        done_loading.set()
        accepted = [s for s in submissions if s.status == 201 and s.reference]
        references = {s.reference for s in accepted}
        # In the realistic mix some consultations join a case: no case.opened to wait for.
        await wait_for_cases(watcher, references, 2.0 if load.realistic else load.stall_s)
        finished = time.time()
        reads = await reading if reading else None
        referrals = await referring if referring else []
        referral_ids = {r["referral_id"] for r in referrals if "referral_id" in r}
        await wait_for_referrals(watcher, referral_ids, timeout_s=load.stall_s)
        http_check = await checking
        # The run's work is done only when every consumer group is idle (notify, intake
        # and referral may still be applying case.opened after the last case opened):
        # CPU is counted up to then, and settled/s is the rate the whole system sustains.
        _waited, unsettled, settled = await asyncio.to_thread(wait_until_idle, redis_url, 60.0)
        if system.database_url:
            await asyncio.sleep(1.1)  # PostgreSQL publishes a backend's transaction counts within a second
        work = difference(before, await snapshot(where), len(accepted))
    finally:
        checking.cancel()  # done already, unless the run failed
        await asyncio.gather(checking, return_exceptions=True)  # before its client closes
        watcher.stop()
        observed = sampler.stop()
        await client.aclose()
    result = summarise(load, started, finished, submissions, accepted, referrals, watcher, observed, http_check)
    result["settled_per_s"] = per_second(len(accepted), started, settled) if not unsettled else None
    result["unsettled_backlog"] = unsettled
    result["before_start"] = {"waited_for_idle_groups_s": drained_s, "backlog_left": backlog_left}
    result["work"] = work
    if reads is not None:
        result["reads"] = reads
    if load.realistic:
        offers = work["rows"].get("case.link_offers", 0)
        result["likely_offers_per_consultation"] = round(offers / len(accepted), 3) if accepted else None
    return result


def summarise(
    load: Load,
    started: float,
    finished: float,
    submissions: list,
    accepted: list,
    referrals: list,
    watcher: StreamWatcher,
    observed: dict,
    http_check: dict,
) -> dict:
    seen = watcher.seen
    opened = [(s, seen.opened[s.reference][0]) for s in accepted if s.reference in seen.opened]
    to_case = [at - s.answered_at for s, at in opened]
    to_stream = [seen.submitted[s.reference] - s.answered_at for s in accepted if s.reference in seen.submitted]
    stream_to_case = [at - seen.submitted[s.reference] for s, at in opened if s.reference in seen.submitted]
    received = [
        seen.received[r["referral_id"]] - r["answered_at"] for r in referrals if r.get("referral_id") in seen.received
    ]
    last_answer = max((s.answered_at for s in accepted), default=None)
    last_case = max((at for _, at in opened), default=None)
    errors: dict[str, int] = {}
    for s in submissions:
        if s.status != 201:
            key = str(s.status or s.error)[:80]
            errors[key] = errors.get(key, 0) + 1
    cpu = observed["cpu_s"]
    return {
        "label": load.label,
        "n": load.n,
        "mode": "fixed rate" if load.rate else "full speed",
        "rate_per_s": load.rate,
        "concurrency": load.concurrency,
        "accepted": len(accepted),
        "cases_opened": len(opened),
        "missing_cases": len(accepted) - len(opened),
        "http_errors": errors,
        "accepted_per_s": per_second(len(accepted), started, last_answer),
        "cases_per_s": per_second(len(opened), started, last_case),
        "duration_s": round(finished - started, 2),
        "http_201_ms": latency_summary([s.answered_at - s.sent_at for s in accepted]),
        "latency_201_to_case": latency_summary(to_case),
        "latency_201_to_submitted_in_stream": latency_summary(to_stream),
        "latency_submitted_to_case_opened": latency_summary(stream_to_case),
        "referrals": {
            "requested": len(referrals),
            "accepted_201": sum(1 for r in referrals if r.get("status") == 201),
            "errors": [r["error"] for r in referrals if "error" in r][:3],
            "latency_requested_to_inbox": latency_summary(received),
        },
        "http_visibility_check": http_check,
        "consumer_groups": observed["groups"],
        "peak_rss_mb": observed["peak_rss_mb"],
        "cpu_s": cpu,
        "cpu_ms_per_case": {
            name: round(1000 * c / len(opened), 2) if c is not None and opened else None for name, c in cpu.items()
        },
        "lag_series": [
            {
                "t": s["t"],
                "lag": sum(g["lag"] for g in s["groups"].values()),
                "pending": sum(g["pending"] for g in s["groups"].values()),
            }
            for s in observed["series"]
        ],
        "observer_errors": [e for e in (watcher.error, observed["error"]) if e],
    }
