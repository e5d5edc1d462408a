"""Each case's timeline as a hash chain, and how to tell where it was broken. No I/O.

An entry's link is an HMAC (keyed: a database writer without the key cannot forge one)
over its case, its number in the case's sequence, the previous entry's link and its
content hash. Every commit also records each touched case's last (number, link) in an
append-only checkpoint log, so removing the newest entries shows too.

Verification walks one case's entries in sequence order and names the first break:
``edited`` (the entry's content or link no longer fits, but the chain continues from
it), ``deleted`` (numbers missing), ``inserted`` (an entry the chain does not account
for), ``reordered`` (two neighbours swapped), ``truncated`` (the checkpoints saw more
than is there).

An entry retention erased (``erased``) no longer matches its recorded content hash —
its summary is gone — so the recorded hash stands in for the content: the chain still
proves the entry was there, in that place, and nothing after it changed. That mark is
only believed when the erasure is itself on the chain: an erased entry with no
``case.retention_erased`` entry after it is ``unrecorded_erasure`` (else anyone who can
set the mark could edit an entry unseen)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import asdict, dataclass

GENESIS = ""  # the "previous link" of a case's first entry

KINDS = {
    "edited": "書き換え",
    "deleted": "削除",
    "inserted": "挿入",
    "reordered": "順序の入れ替え",
    "truncated": "末尾の切り詰め",
    "unrecorded_erasure": "記録のない消去",
}
ERASURE = "case.retention_erased"


def link(key: bytes, case_id: str, seq: int, previous: str, content: str) -> str:
    message = f"{case_id}\n{seq}\n{previous}\n{content}".encode()
    return hmac.digest(key, message, hashlib.sha256).hex()


@dataclass(frozen=True)
class Entry:
    """One stored entry: ``content_hash`` as recorded, ``recomputed`` from its fields now;
    ``erased``: marked erased by retention."""

    event_id: str
    seq: int
    content_hash: str
    recomputed: str
    link: str
    erased: bool = False
    type: str = ""

    @property
    def content(self) -> str:
        """What the entry's link is checked over: an erased entry's recorded hash."""
        return self.content_hash if self.erased else self.recomputed


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    link: str


@dataclass(frozen=True)
class Break:
    kind: str
    seq: int
    event_id: str | None
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "label": KINDS[self.kind]}


@dataclass(frozen=True)
class CaseVerification:
    case_id: str
    entries: int
    verified: int  # entries that verified before the first break (all of them when intact)
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "entries": self.entries,
            "verified": self.verified,
            "intact": self.intact,
            "broken": self.broken.as_dict() if self.broken else None,
        }


class _Walk:
    def __init__(self, key: bytes, case_id: str, checkpoints: Sequence[Checkpoint]) -> None:
        self.key, self.case_id = key, case_id
        self.checkpoints: dict[int, set[str]] = {}
        for c in checkpoints:
            self.checkpoints.setdefault(c.seq, set()).add(c.link)

    def fits(self, entry: Entry, seq: int, previous: str) -> bool:
        return entry.content == entry.content_hash and hmac.compare_digest(
            entry.link, link(self.key, self.case_id, seq, previous, entry.content)
        )

    def genuine_link(self, entry: Entry, following: Entry | None) -> bool:
        """The entry's stored link was made with the key: the next entry chains from it,
        or a checkpoint recorded it — so what changed is its content."""
        chained = following is not None and self.fits(following, entry.seq + 1, entry.link)
        return chained or entry.link in self.checkpoints.get(entry.seq, ())

    def first_break(self, entries: Sequence[Entry]) -> tuple[int, Break | None]:
        expected, previous = 1, GENESIS
        for index, entry in enumerate(entries):
            following = entries[index + 1] if index + 1 < len(entries) else None
            if entry.seq < expected:
                return expected - 1, self._break("inserted", entry, "同じ番号の経過が重複しています")
            if entry.seq > expected:
                missing = f"{expected}番目" if entry.seq == expected + 1 else f"{expected}〜{entry.seq - 1}番目"
                return expected - 1, Break("deleted", expected, None, f"{missing}の経過が削除されています。")
            if not self.fits(entry, expected, previous):
                return expected - 1, self._classify(entry, following, previous)
            if self.checkpoints.get(entry.seq, {entry.link}) != {entry.link}:
                return expected - 1, Break(
                    "deleted",
                    entry.seq,
                    entry.event_id,
                    f"{entry.seq}番目以降の経過が削除され、別の経過に置き換わっています(チェックポイントと不一致)。",
                )
            expected, previous = expected + 1, entry.link
        last = max(self.checkpoints, default=0)
        if last >= expected:
            return expected - 1, Break(
                "truncated",
                expected,
                None,
                f"{expected}番目以降の経過が失われています(チェックポイントの記録では{last}番目まであります)。",
            )
        unrecorded = _unrecorded_erasure(entries)
        if unrecorded is not None:
            return unrecorded.seq - 1, self._break(
                "unrecorded_erasure",
                unrecorded,
                "消去済みの印がありますが、その後に保存期間による消去の記録がありません",
            )
        return expected - 1, None

    def _classify(self, entry: Entry, following: Entry | None, previous: str) -> Break:
        seq = entry.seq
        if following is not None and self.fits(following, seq, previous):
            if self.fits(entry, seq + 1, following.link):
                return self._break("reordered", entry, f"{seq}番目と{seq + 1}番目の経過の順序が入れ替えられています")
            return self._break("inserted", entry, "鎖に含まれない経過が差し込まれています")
        if entry.content != entry.content_hash or self.genuine_link(entry, following):
            return self._break("edited", entry, "記録後に内容が書き換えられています")
        return self._break("inserted", entry, "鎖に含まれない経過が差し込まれています")

    def _break(self, kind: str, entry: Entry, what: str) -> Break:
        return Break(kind, entry.seq, entry.event_id, f"{entry.seq}番目の経過({entry.event_id}): {what}。")


def _unrecorded_erasure(entries: Sequence[Entry]) -> Entry | None:
    """The first entry marked erased after the chain's last record of an erasure."""
    recorded = max((e.seq for e in entries if e.type == ERASURE and not e.erased), default=0)
    return next((e for e in entries if e.erased and e.seq > recorded), None)


def verify_case(
    key: bytes, case_id: str, entries: Sequence[Entry], checkpoints: Sequence[Checkpoint]
) -> CaseVerification:
    """``entries`` in (seq, event id) order; ``checkpoints`` every one recorded for the case."""
    verified, broken = _Walk(key, case_id, checkpoints).first_break(entries)
    return CaseVerification(case_id, len(entries), verified, broken)
