"""Retention's rules (domain/retention.py) and the chain's walk over erased entries
(domain/chain.py): an entry marked erased verifies by its recorded content hash when
the erasure is on the chain after it; the same change without the mark is an edit; the
mark with no record of the erasure after it is an unrecorded erasure; an erased entry's
recorded hash changed too still breaks the chain."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.case.domain.chain import ERASURE, Entry, verify_case
from services.case.domain.retention import ERASED, closed_before, erased_summary
from shared.reference import ReferenceDataError, load_reference_data
from shared.settings import PROJECT_ROOT
from tests.unit.case.test_case_chain import CASE, KEY, _chain, _checkpoints


def test_the_period_counts_back_whole_years() -> None:
    assert closed_before(datetime(2031, 11, 2, 1, 0, tzinfo=UTC), 5) == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert closed_before(datetime(2028, 2, 29, tzinfo=UTC), 5) == datetime(2023, 2, 28, tzinfo=UTC)


def test_an_erased_summary_keeps_identifiers_and_choices_not_words() -> None:
    summary = {"case_id": "01J", "from_status": "対応中", "to_status": "終結", "reason": "本人の希望", "note": None}
    assert erased_summary(summary) == {**summary, "reason": ERASED}


def _erased(entries: list[Entry], upto: int) -> list[Entry]:
    return [replace(e, recomputed="0" * 64, erased=True) for e in entries[:upto]] + entries[upto:]


def test_an_entry_marked_erased_verifies_by_its_recorded_hash() -> None:
    entries = _chain(4)
    erased = _erased(entries[:3], 3) + [replace(entries[3], type=ERASURE)]
    result = verify_case(KEY, CASE, erased, _checkpoints(entries, 4))
    assert result.intact and result.verified == 4


def test_an_erased_mark_with_no_record_of_the_erasure_after_it_breaks() -> None:
    entries = _chain(5)
    unrecorded = _erased(entries, 3)  # the fourth entry is no erasure record
    broken = verify_case(KEY, CASE, unrecorded, _checkpoints(entries, 5)).broken
    assert broken is not None and (broken.kind, broken.seq) == ("unrecorded_erasure", 1)
    # Recorded, then an entry erased after the record: that one is unrecorded.
    marked_later = [*_erased(entries[:3], 3), replace(entries[3], type=ERASURE), *_erased(entries[4:], 1)]
    result = verify_case(KEY, CASE, marked_later, _checkpoints(entries, 5))
    assert result.broken is not None and (result.broken.kind, result.broken.seq, result.verified) == (
        "unrecorded_erasure",
        5,
        4,
    )


def test_the_same_change_without_the_mark_is_an_edit() -> None:
    entries = _chain(4)
    changed = [entries[0], replace(entries[1], recomputed="0" * 64), *entries[2:]]
    broken = verify_case(KEY, CASE, changed, _checkpoints(entries, 4)).broken
    assert broken is not None and (broken.kind, broken.seq) == ("edited", 2)


def test_an_erased_entry_whose_recorded_hash_was_changed_still_breaks() -> None:
    entries = _chain(4)
    forged = replace(entries[1], content_hash="1" * 64, recomputed="1" * 64, erased=True)
    broken = verify_case(KEY, CASE, [entries[0], forged, *entries[2:]], _checkpoints(entries, 4)).broken
    assert broken is not None and broken.seq == 2


def test_the_period_is_reference_data_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    assert load_reference_data(folder).closed_case_retention_years == 5  # the SAMPLE value
    retention = folder / "retention.yaml"
    retention.write_text("closed_case_retention_years: 0\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="closed_case_retention_years"):
        load_reference_data(folder)
    retention.unlink()
    with pytest.raises(ReferenceDataError, match="reference data file missing: .*retention.yaml"):
        load_reference_data(folder)
