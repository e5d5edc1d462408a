"""Reads py-spy's collapsed stacks (``--format raw``: ``frame;frame;… count`` per line,
idle threads left out, so the samples are where the CPU went) and ranks where the time
goes: by package (self time), by leaf function (self time), and by Tsunagi's own
functions (inclusive: the function and what it calls). Module imports at start-up are
left out: they are not the flow."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")

# Self time is charged to the first of these that the frame's file path contains.
PACKAGES = [
    ("sqlalchemy", "sqlalchemy"),
    ("aiosqlite", "aiosqlite"),
    ("sqlite3 (driver)", "sqlite3"),
    ("asyncpg", "asyncpg"),
    ("redis-py", "/redis/"),
    ("faststream", "faststream"),
    ("pydantic", "pydantic"),
    ("structlog / logging", "structlog"),
    ("structlog / logging", "logging/"),
    ("json", "json/"),
    ("uvicorn", "uvicorn"),
    ("starlette / fastapi", "starlette"),
    ("starlette / fastapi", "fastapi"),
    ("httpx", "httpx"),
    ("jwt", "jwt"),
    ("alembic", "alembic"),
    ("tsunagi kernel (shared/)", "/shared/"),
    ("tsunagi services/", "/services/"),
    ("asyncio", "asyncio/"),
    ("threading / queue", "threading"),
    ("threading / queue", "queue.py"),
]


# Leaves that say more by their function than by their file.
LEAVES = {
    "_connection_worker_thread": "sqlite3 C library (aiosqlite worker thread)",
    "EpollSelector.select": "event loop waiting (epoll)",
}


def package_of(func: str, file: str) -> str:
    if func in LEAVES:
        return LEAVES[func]
    if file.startswith(("shared/", "services/")):
        file = "/" + file
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


def is_own(frame: str) -> bool:
    match = FRAME.match(frame)
    file = match["file"] if match else ""
    file = "/" + file if file.startswith(("shared/", "services/")) else file
    return ("/shared/" in file or "/services/" in file) and "/shared/cli/" not in file


def summarise_profile(path: Path, *, rate_hz: int = 200, top: int = 15) -> dict:
    if not path.exists() or path.stat().st_size == 0:
        return {"error": f"no profile written at {path}"}
    self_time: Counter[str] = Counter()
    own_inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = imports = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if "importlib._bootstrap" in stack:
            imports += count
            continue
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        self_time[short(leaf)] += count
        match = FRAME.match(leaf)
        by_package[package_of(match["func"], match["file"]) if match else "other"] += count
        for name in {short(f) for f in frames if is_own(f)}:
            own_inclusive[name] += count

    def pct(c: int) -> float:
        return round(100 * c / total, 1) if total else 0.0

    return {
        "samples": total,
        "busy_cpu_s": round(total / rate_hz, 2),
        "startup_import_cpu_s": round(imports / rate_hz, 2),
        "by_package_self_pct": {k: pct(v) for k, v in by_package.most_common()},
        "top_self_pct": {k: pct(v) for k, v in self_time.most_common(top)},
        "tsunagi_functions_inclusive_pct": {k: pct(v) for k, v in own_inclusive.most_common(top * 2)},
    }
