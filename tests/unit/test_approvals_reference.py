"""approvals.yaml is reference data: loaded and checked with the rest, a mistake refused
naming where it is, the city's choice read by the rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shared.reference import ReferenceDataError, load_reference_data
from shared.settings import PROJECT_ROOT


def _folder(tmp_path: Path, approvals: str | None) -> Path:
    folder = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    if approvals is None:
        (folder / "approvals.yaml").unlink()
    else:
        (folder / "approvals.yaml").write_text(approvals, encoding="utf-8")
    return folder


def test_the_citys_file_loads_with_every_move_needing_approval() -> None:
    policy = load_reference_data(PROJECT_ROOT / "reference").approvals
    assert policy.share_without_consent.required and policy.close_with_open_work.required
    assert policy.merge_across_areas.required and policy.reopen_after_long.after_days == 180


def test_the_city_may_let_a_move_go_without_approval(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "approvals:\n  merge_across_areas: {required: false}\n")
    policy = load_reference_data(folder).approvals
    assert not policy.merge_across_areas.required and policy.close_with_open_work.required


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("approvals:\n  close_with_open_wrok: {required: true}\n", "approvals.close_with_open_wrok"),
        ("approvals:\n  reopen_after_long: {after_days: 0}\n", "approvals.reopen_after_long.after_days"),
        ("approvals:\n  share_without_consent: {required: maybe}\n", "approvals.share_without_consent.required"),
    ],
)
def test_a_mistake_is_refused_naming_the_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ReferenceDataError, match=where.replace(".", r"\.")):
        load_reference_data(_folder(tmp_path, text))


def test_the_file_is_required(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="reference data file missing: .*approvals.yaml"):
        load_reference_data(_folder(tmp_path, None))
