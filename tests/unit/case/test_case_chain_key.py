"""Where the timeline's key comes from: the setting when given; test mode's fixed key;
in embedded mode a key file made once in the data folder, readable by its owner only,
the same for every process (the migration and the service) that reads it afterwards."""

from __future__ import annotations

import stat
from pathlib import Path

from services.case.adapters.chain_key import TEST_KEY, timeline_key, timeline_key_path
from shared.settings import Settings


def test_the_setting_wins_in_every_mode(tmp_path: Path) -> None:
    for mode in ("embedded", "test"):
        settings = Settings(mode=mode, data_dir=tmp_path, timeline_key="configured-timeline-key")  # type: ignore[arg-type]
        assert timeline_key(settings) == b"configured-timeline-key"
    assert not timeline_key_path(Settings(data_dir=tmp_path)).exists()


def test_test_mode_has_a_fixed_key(tmp_path: Path) -> None:
    assert timeline_key(Settings(mode="test", data_dir=tmp_path)) == TEST_KEY


def test_embedded_mode_makes_its_key_once(tmp_path: Path) -> None:
    settings = Settings(mode="embedded", data_dir=tmp_path)
    first = timeline_key(settings)
    path = timeline_key_path(settings)
    assert len(first) == 64 and first != TEST_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert timeline_key(Settings(mode="embedded", data_dir=tmp_path)) == first
    assert [p.name for p in path.parent.iterdir()] == ["timeline-key"]  # no draft left behind
    assert timeline_key(Settings(mode="embedded", data_dir=tmp_path / "elsewhere")) != first
