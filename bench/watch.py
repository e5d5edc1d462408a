"""What the bench observes while the system runs, in background threads so the load
generator's event loop does not skew it:

- ``StreamWatcher`` reads the event streams (XREAD, never a consumer group, so it takes
  nothing from the services) and notes when each consultation's ``consultation.submitted``,
  ``case.opened`` and each referral's ``referral.received`` entered Redis. The time is the
  entry id's millisecond part, stamped by Redis itself: no polling delay. The case row
  is committed before its outbox row is relayed, so ``case.opened`` in the stream means
  the case is already visible in the queue.
- ``Sampler`` polls ``XINFO GROUPS`` (consumer lag and pending entries per group) and
  each service process's resident memory and CPU time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import redis

from bench.procs import cpu_seconds, cpu_seconds_by_name, peak_rss_mb, rss_mb
from shared.messaging.streams import decode_entry

STREAMS = ("tsunagi.consultation", "tsunagi.case", "tsunagi.referral", "tsunagi.notification")


def entry_time(entry_id: bytes) -> float:
    return int(entry_id.split(b"-", 1)[0]) / 1000.0


def last_ids(client: redis.Redis, streams: tuple[str, ...]) -> dict[str, bytes]:
    ids = {}
    for stream in streams:
        last = client.xrevrange(stream, count=1)
        ids[stream] = last[0][0] if last else b"0-0"
    return ids


@dataclass
class Seen:
    submitted: dict[str, float] = field(default_factory=dict)  # reference → when in Redis
    opened: dict[str, tuple[float, str, str]] = field(default_factory=dict)  # reference → (when, case id, area)
    received: dict[str, float] = field(default_factory=dict)  # referral id → when in Redis
    events: int = 0


class StreamWatcher(threading.Thread):
    def __init__(self, redis_url: str) -> None:
        super().__init__(name="bench-stream-watcher", daemon=True)
        self.client = redis.Redis.from_url(redis_url)
        self.seen = Seen()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.positions = last_ids(self.client, STREAMS)
        self.error: str | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                for stream, entries in self.client.xread(self.positions, count=1000, block=200) or []:
                    name = stream.decode()
                    for entry_id, fields in entries:
                        self.positions[name] = entry_id
                        self._note(entry_id, fields)
        except Exception as exc:  # reported in the results, never silently
            self.error = f"{type(exc).__name__}: {exc}"

    def _note(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        try:
            envelope = decode_entry(fields)
        except ValueError:
            return
        at = entry_time(entry_id)
        payload = envelope.payload
        with self.lock:
            self.seen.events += 1
            if envelope.type == "consultation.submitted":
                self.seen.submitted[payload["reference"]] = at
            elif envelope.type == "case.opened":
                self.seen.opened[payload["reference"]] = (at, payload["case_id"], payload["area"])
            elif envelope.type == "referral.received":
                self.seen.received[payload["referral_id"]] = at

    def opened_count(self, references: set[str]) -> int:
        with self.lock:
            return sum(1 for r in references if r in self.seen.opened)

    def case_of(self, reference: str) -> tuple[float, str, str] | None:
        with self.lock:
            return self.seen.opened.get(reference)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.client.close()


def backlog(client: redis.Redis) -> int:
    """Entries not yet applied by some consumer group: lag plus pending, over all groups."""
    total = 0
    for stream in STREAMS:
        if client.exists(stream):
            for group in client.xinfo_groups(stream):
                total += int(group.get("lag") or 0) + int(group.get("pending") or 0)
    return total


def wait_until_drained(redis_url: str, timeout_s: float) -> tuple[float, int]:
    """Blocks until every consumer group is idle (so a run does not inherit the previous
    run's backlog) or the timeout passes; returns (seconds waited, backlog left)."""
    waited, left, _idle_since = wait_until_idle(redis_url, timeout_s)
    return waited, left


def wait_until_idle(redis_url: str, timeout_s: float) -> tuple[float, int, float | None]:
    """``wait_until_drained``, also returning when (wall clock) the groups were first
    seen idle in the final quiet stretch (None if they never were)."""
    start = time.monotonic()
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        quiet, idle_since = 0, None
        while True:
            left = backlog(client)
            if left == 0:
                quiet += 1
                idle_since = idle_since or time.time()
            else:
                quiet, idle_since = 0, None
            if quiet >= 3 or time.monotonic() - start > timeout_s:
                return round(time.monotonic() - start, 2), left, idle_since
            time.sleep(0.05)


class Sampler(threading.Thread):
    def __init__(
        self, redis_url: str, pids: dict[str, int], interval_s: float = 0.25, by_name: dict[str, str] | None = None
    ) -> None:
        """``by_name``: further CPU to count, label → process name (every process of that
        name: the PostgreSQL server's backends)."""
        super().__init__(name="bench-sampler", daemon=True)
        self.client = redis.Redis.from_url(redis_url, decode_responses=True)
        self.pids = pids
        self.by_name = by_name or {}
        self.interval_s = interval_s
        self.stopping = threading.Event()
        self.series: list[dict] = []
        self.cpu_start = {name: cpu_seconds(pid) for name, pid in pids.items()}
        self.named_start = {label: cpu_seconds_by_name(comm) for label, comm in self.by_name.items()}
        self.error: str | None = None

    def run(self) -> None:
        t0 = time.time()
        while not self.stopping.is_set():
            try:
                self.series.append(
                    {
                        "t": round(time.time() - t0, 3),
                        "groups": self._groups(),
                        "rss_mb": {n: rss_mb(p) for n, p in self.pids.items()},
                    }
                )
            except Exception as exc:  # reported in the results, never silently
                self.error = f"{type(exc).__name__}: {exc}"
            self.stopping.wait(self.interval_s)

    def _groups(self) -> dict[str, dict[str, int]]:
        found = {}
        for stream in STREAMS:
            if not self.client.exists(stream):
                continue
            for group in self.client.xinfo_groups(stream):
                found[f"{stream}:{group['name']}"] = {
                    "lag": int(group.get("lag") or 0),
                    "pending": int(group.get("pending") or 0),
                }
        return found

    def stop(self) -> dict:
        self.stopping.set()
        self.join(timeout=5)
        self.client.close()
        cpu = {}
        for name, pid in self.pids.items():
            start, end = self.cpu_start.get(name), cpu_seconds(pid)
            cpu[name] = round(end - start, 3) if start is not None and end is not None else None
        for label, comm in self.by_name.items():
            # A backend that started during the run counts from zero; one that ended is lost
            # (the services' pools keep theirs for the whole run).
            before = self.named_start[label]
            cpu[label] = round(sum(c - before.get(pid, 0.0) for pid, c in cpu_seconds_by_name(comm).items()), 3)
        peaks: dict[str, dict[str, int]] = {}
        for sample in self.series:
            for key, values in sample["groups"].items():
                peak = peaks.setdefault(key, {"max_lag": 0, "max_pending": 0})
                peak["max_lag"] = max(peak["max_lag"], values["lag"])
                peak["max_pending"] = max(peak["max_pending"], values["pending"])
        return {
            "cpu_s": cpu,
            "peak_rss_mb": {n: peak_rss_mb(p) for n, p in self.pids.items()},
            "groups": peaks,
            "series": self.series,
            "error": self.error,
        }
