"""The chain's walk (domain/chain.py), no database: a chain as appended verifies; each
way of breaking it is named at the first broken number; the checkpoints catch what the
entries alone cannot (the newest ones removed, or removed and replaced)."""

from __future__ import annotations

import hashlib

import pytest

from services.case.domain.chain import GENESIS, Checkpoint, Entry, link, verify_case

KEY = b"unit-test-timeline-key"
CASE = "01JCASE0000000000000000000"


def _chain(count: int, key: bytes = KEY) -> list[Entry]:
    entries, previous = [], GENESIS
    for seq in range(1, count + 1):
        content = hashlib.sha256(f"entry {seq}".encode()).hexdigest()
        made = link(key, CASE, seq, previous, content)
        entries.append(Entry(f"E{seq:025d}", seq, content, content, made))
        previous = made
    return entries


def _checkpoints(entries: list[Entry], *seqs: int) -> list[Checkpoint]:
    return [Checkpoint(e.seq, e.link) for e in entries if e.seq in seqs]


def _renumbered(entry: Entry, seq: int) -> Entry:
    return Entry(entry.event_id, seq, entry.content_hash, entry.recomputed, entry.link)


def test_a_chain_as_appended_verifies() -> None:
    entries = _chain(5)
    result = verify_case(KEY, CASE, entries, _checkpoints(entries, 2, 5))
    assert result.intact and (result.entries, result.verified) == (5, 5)
    assert verify_case(KEY, CASE, [], []).intact  # a case with no entries and no checkpoints


def _edited(entries: list[Entry]) -> list[Entry]:
    e = entries[2]
    return [*entries[:2], Entry(e.event_id, 3, e.content_hash, "changed", e.link), *entries[3:]]


def _edited_rehashed(entries: list[Entry]) -> list[Entry]:
    e = entries[2]
    return [*entries[:2], Entry(e.event_id, 3, "changed", "changed", e.link), *entries[3:]]


def _deleted(entries: list[Entry]) -> list[Entry]:
    return entries[:2] + entries[3:]


def _inserted(entries: list[Entry]) -> list[Entry]:
    stranger = Entry("X" * 26, 3, "forged", "forged", "0" * 64)
    return [*entries[:2], stranger, *(_renumbered(e, e.seq + 1) for e in entries[2:])]


def _inserted_twin(entries: list[Entry]) -> list[Entry]:
    stranger = Entry("Z" * 26, 3, "forged", "forged", "0" * 64)
    return [*entries[:3], stranger, *entries[3:]]


def _reordered(entries: list[Entry]) -> list[Entry]:
    return [*entries[:2], _renumbered(entries[3], 3), _renumbered(entries[2], 4), *entries[4:]]


def _truncated(entries: list[Entry]) -> list[Entry]:
    return entries[:3]


@pytest.mark.parametrize(
    ("tamper", "kind", "seq", "verified"),
    [
        (_edited, "edited", 3, 2),
        (_edited_rehashed, "edited", 3, 2),
        (_deleted, "deleted", 3, 2),
        (_inserted, "inserted", 3, 2),
        (_inserted_twin, "inserted", 3, 3),  # a second entry numbered 3, after the genuine one
        (_reordered, "reordered", 3, 2),
        (_truncated, "truncated", 4, 3),
    ],
)
def test_each_break_is_named_at_its_first_number(tamper, kind: str, seq: int, verified: int) -> None:
    entries = _chain(6)
    result = verify_case(KEY, CASE, tamper(entries), _checkpoints(entries, 3, 6))
    assert result.broken is not None and (result.broken.kind, result.broken.seq) == (kind, seq)
    assert result.verified == verified and not result.intact
    assert result.as_dict()["broken"]["label"]  # type: ignore[index]


def test_the_newest_entry_edited_with_its_hash_recomputed_is_an_edit_by_its_checkpoint() -> None:
    entries = _chain(3)
    last = entries[2]
    forged = [*entries[:2], Entry(last.event_id, 3, "changed", "changed", last.link)]
    assert verify_case(KEY, CASE, forged, _checkpoints(entries, 3)).broken.kind == "edited"  # type: ignore[union-attr]
    # Without a checkpoint or a next entry vouching for its link, it reads as a stranger.
    assert verify_case(KEY, CASE, forged, []).broken.kind == "inserted"  # type: ignore[union-attr]


def test_removed_and_replaced_entries_are_caught_by_the_checkpoint() -> None:
    entries = _chain(4)
    content = hashlib.sha256(b"another entry").hexdigest()
    fourth = Entry("N" * 26, 4, content, content, link(KEY, CASE, 4, entries[2].link, content))
    result = verify_case(KEY, CASE, [*entries[:3], fourth], _checkpoints(entries, 4))
    assert result.broken is not None and (result.broken.kind, result.broken.seq) == ("deleted", 4)


def test_every_entry_removed_is_a_truncation_from_the_first() -> None:
    entries = _chain(2)
    result = verify_case(KEY, CASE, [], _checkpoints(entries, 2))
    assert result.broken is not None and (result.broken.kind, result.broken.seq) == ("truncated", 1)


def test_another_key_verifies_nothing() -> None:
    entries = _chain(3)
    result = verify_case(b"another key", CASE, entries, [])
    assert result.broken is not None and result.broken.seq == 1 and result.verified == 0
