"""Reads py-spy's collapsed stacks (``--format raw``: ``frame;frame;… count`` per line,
idle threads left out, so the samples are where the CPU went) and ranks where the time
goes: by package (self time), by function (self and inclusive)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")

# Self time is charged to the first of these that the frame's file path contains.
PACKAGES = [
    ("sqlalchemy", "sqlalchemy"), ("aiosqlite", "aiosqlite"), ("sqlite3 (driver)", "sqlite3"),
    ("asyncpg", "asyncpg"), ("redis-py", "/redis/"), ("faststream", "faststream"),
    ("pydantic", "pydantic"), ("structlog / logging", "structlog"), ("structlog / logging", "logging/"),
    ("json", "json/"), ("uvicorn", "uvicorn"), ("starlette / fastapi", "starlette"),
    ("starlette / fastapi", "fastapi"), ("httpx", "httpx"), ("jwt", "jwt"), ("alembic", "alembic"),
    ("tsunagi kernel (shared/)", "/shared/"), ("tsunagi services/", "/services/"),
    ("asyncio", "asyncio/"), ("threading / queue", "threading"), ("threading / queue", "queue.py"),
]


def package_of(file: str) -> str:
    for name, needle in PACKAGES:
        if needle in file:
            return name
    return "other"


def short(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['func']} ({file})"


def summarise_profile(path: Path, *, duration_s: float | None = None, rate_hz: int = 200, top: int = 12) -> dict:
    if not path.exists() or path.stat().st_size == 0:
        return {"error": f"no profile written at {path}"}
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        self_time[short(leaf)] += count
        match = FRAME.match(leaf)
        by_package[package_of(match["file"] if match else leaf)] += count
        for name in {short(f) for f in frames}:
            inclusive[name] += count

    def pct(c: int) -> float:
        return round(100 * c / total, 1) if total else 0.0

    return {
        "samples": total,
        "busy_cpu_s": round(total / rate_hz, 2),
        "busy_fraction_of_wall": round(total / rate_hz / duration_s, 2) if duration_s else None,
        "by_package_self_pct": {k: pct(v) for k, v in by_package.most_common()},
        "top_self_pct": {k: pct(v) for k, v in self_time.most_common(top)},
        "top_inclusive_pct": {k: pct(v) for k, v in inclusive.most_common(top * 4)
                              if not k.startswith(("<module>", "run (", "_run (", "run_forever", "_run_once",
                                                   "run_until_complete", "main (", "_run_module",
                                                   "_run_code", "serve (", "_serve", "startup"))}
    }
