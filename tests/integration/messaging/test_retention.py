"""Retention on real Redis: trimming never removes an entry some group has not
acknowledged (pending) or not yet read, and keeps the safety margin."""

from __future__ import annotations

from shared.messaging.retention import StreamTrimmer
from shared.messaging.streams import ensure_group

STREAM = "tsunagi.case"


async def fill(redis, count: int) -> list[bytes]:
    return [await redis.xadd(STREAM, {b"n": str(i).encode()}) for i in range(count)]


async def test_trimming_keeps_every_entry_a_group_still_needs(redis) -> None:
    ids = await fill(redis, 10)
    trimmer = StreamTrimmer(redis, [STREAM], keep_recent=0, keep_age_ms=0)
    assert await trimmer.trim(STREAM) == 0  # no group yet: a service may still come

    await ensure_group(redis, STREAM, "fast")
    await ensure_group(redis, STREAM, "slow")
    fast = await redis.xreadgroup("fast", "f1", {STREAM: ">"}, count=100)
    await redis.xack(STREAM, "fast", *[i for i, _ in fast[0][1]])
    slow = await redis.xreadgroup("slow", "s1", {STREAM: ">"}, count=6)
    slow_ids = [i for i, _ in slow[0][1]]
    await redis.xack(STREAM, "slow", slow_ids[0], slow_ids[1], slow_ids[3])  # 2, 4, 5 still pending

    assert await trimmer.trim(STREAM) == 2  # only entries 0 and 1: acked by every group
    assert [i for i, _ in await redis.xrange(STREAM)] == ids[2:]
    pending = await redis.xpending_range(STREAM, "slow", min="-", max="+", count=10)
    assert [p["message_id"] for p in pending] == [ids[2], ids[4], ids[5]]
    # Still applicable: every pending entry can be read back by its id.
    assert len(await redis.xrange(STREAM, min=ids[2], max=ids[5])) == 4

    # "slow" finishes what it had; 6..9 were never delivered to it and must stay.
    await redis.xack(STREAM, "slow", ids[2], ids[4], ids[5])
    await trimmer.trim(STREAM)
    assert [i for i, _ in await redis.xrange(STREAM)] == ids[5:]  # from its last-delivered id on
    rest = await redis.xreadgroup("slow", "s1", {STREAM: ">"}, count=100)
    assert [i for i, _ in rest[0][1]] == ids[6:]


async def test_the_newest_entries_are_kept_whatever_the_groups_did(redis) -> None:
    ids = await fill(redis, 10)
    await ensure_group(redis, STREAM, "done")
    read = await redis.xreadgroup("done", "d1", {STREAM: ">"}, count=100)
    await redis.xack(STREAM, "done", *[i for i, _ in read[0][1]])

    assert await StreamTrimmer(redis, [STREAM], keep_recent=4, keep_age_ms=0).trim(STREAM) == 6
    assert [i for i, _ in await redis.xrange(STREAM)] == ids[6:]
    # Everything here is younger than a day: the default margin keeps it all.
    assert await StreamTrimmer(redis, [STREAM], keep_recent=0).trim(STREAM) == 0
    assert await StreamTrimmer(redis, [STREAM], keep_recent=100, keep_age_ms=0).trim(STREAM) == 0
