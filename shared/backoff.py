"""Exponential backoff for the loops that wait out an outage (Redis or the database
down): the first retry soon, each next one twice as late up to a cap, and back to the
start after a success."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Backoff:
    first_s: float
    cap_s: float
    delay_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.delay_s = self.first_s

    async def sleep(self) -> None:
        """Waits the current delay, then doubles it (up to the cap) for the next failure."""
        await asyncio.sleep(self.delay_s)
        self.delay_s = min(self.delay_s * 2, self.cap_s)

    def reset(self) -> None:
        self.delay_s = self.first_s
