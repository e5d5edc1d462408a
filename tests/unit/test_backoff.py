"""The backoff of the loops that wait out an outage: doubling up to its cap, back to
the start after a success."""

from __future__ import annotations

from shared.backoff import Backoff


async def test_each_failure_waits_twice_as_long_up_to_the_cap_and_a_success_starts_over() -> None:
    backoff = Backoff(first_s=0.001, cap_s=0.004)
    seen = []
    for _ in range(4):
        seen.append(backoff.delay_s)
        await backoff.sleep()
    assert seen == [0.001, 0.002, 0.004, 0.004]
    backoff.reset()
    assert backoff.delay_s == 0.001
