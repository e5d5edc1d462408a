"""The shared kernel's pure parts: envelope, identity, settings, reference data, logs."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import structlog

from shared.events import EVENT_TYPES, CaseOpened, ConsultationSubmitted, Envelope, stream_for
from shared.events.envelope import SYSTEM, Actor
from shared.http.errors import Problem
from shared.identity import issue_token, read_token
from shared.logging import REDACTED, _redact
from shared.reference import CITY_WIDE, ReferenceDataError, load_reference_data
from shared.settings import DEVELOPMENT_SECRET, PROJECT_ROOT, Settings


def test_envelope_round_trip_and_causation() -> None:
    opened = CaseOpened(
        case_id="C1",
        case_number="N-1",
        area="中部",
        consultation_id="X",
        reference="TSN-1",
        reporter_id="r",
        urgency="通常",
        categories=["孤立"],
    )
    first = Envelope.wrap(opened, aggregate_id="C1", actor=SYSTEM, correlation_id="corr", case_id="C1")
    again = Envelope.model_validate_json(first.model_dump_json())
    assert again == first
    assert again.payload_as(CaseOpened).area == "中部"
    with pytest.raises(ValueError):
        again.payload_as(ConsultationSubmitted)
    caused = first.caused(opened, aggregate_id="C1", actor=Actor(role="coordinator", id="csw-1"))
    assert caused.correlation_id == "corr" and caused.causation_id == first.event_id
    assert caused.event_id > first.event_id  # ULIDs sort by time


def test_every_event_type_maps_to_a_stream() -> None:
    assert "consultation.submitted" in EVENT_TYPES
    for event_type in EVENT_TYPES:
        assert stream_for(event_type).startswith("tsunagi.")
    with pytest.raises(ValueError):
        stream_for("unknown.thing")


def test_tokens_carry_role_and_scope_and_expire() -> None:
    settings = Settings(mode="test")
    identity = read_token(settings, issue_token(settings, role="coordinator", scope="中部"))
    assert (identity.role, identity.scope) == ("coordinator", "中部")
    expired = issue_token(settings, role="agency", scope="hc-3", ttl=timedelta(seconds=-5))
    with pytest.raises(Problem) as info:
        read_token(settings, expired)
    assert info.value.status == 401
    other = Settings(mode="test", secret_key="another-key-another-key-another-key")
    with pytest.raises(Problem):
        read_token(other, issue_token(settings, role="reporter", scope="r1"))
    with pytest.raises(ValueError):
        issue_token(settings, role="admin", scope="x")


def test_production_refuses_the_development_key() -> None:
    with pytest.raises(ValueError, match="development key"):
        Settings(mode="production", secret_key=DEVELOPMENT_SECRET)
    Settings(mode="production", secret_key="x" * 40, match_key="y" * 40, timeline_key="t" * 40)
    Settings(mode="embedded")  # the development key is fine on one machine


def test_production_refuses_a_weak_or_shared_match_key() -> None:
    with pytest.raises(ValueError, match="TSUNAGI_MATCH_KEY is the development key"):
        Settings(mode="production", secret_key="x" * 40)
    with pytest.raises(ValueError, match="at least 32"):
        Settings(mode="production", secret_key="x" * 40, match_key="short")
    with pytest.raises(ValueError, match="differ"):
        Settings(mode="production", secret_key="x" * 40, match_key="x" * 40)
    Settings(mode="test")  # the development match key is fine in tests


def test_reference_data_loads_and_routes_districts() -> None:
    ref = load_reference_data(PROJECT_ROOT / "reference")
    assert ref.sample is True
    assert len(ref.areas) == 4 and len(ref.support_center_districts) == 8 and len(ref.school_districts) == 20
    assert ref.area_of_district("SD01") in ref.ids("areas")
    assert ref.area_of_district("不明") == CITY_WIDE


def test_reference_data_errors_name_file_entry_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "reference"
    shutil.copytree(PROJECT_ROOT / "reference", folder)
    geo = (folder / "geography.yaml").read_text(encoding="utf-8")
    (folder / "geography.yaml").write_text(
        geo.replace(
            "area: 北東部\n    support_center_district: HC1", "area: 東部\n    support_center_district: HC1", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="unknown area '東部'"):
        load_reference_data(folder)
    (folder / "categories.yaml").write_text("categories: [oops", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="categories.yaml: not valid YAML"):
        load_reference_data(folder)


def test_logs_never_carry_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    event = _redact(None, "info", {"event": "x", "name": "山田", "noticed": "…", "case_id": "C1"})
    assert event["name"] == REDACTED and event["noticed"] == REDACTED and event["case_id"] == "C1"
    from shared.logging import configure_logging, get_logger

    configure_logging("test", "INFO", json=True)
    get_logger("t").info("consultation_received", person_name="サンプル 太郎", phone="000", case_id="C9")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["person_name"] == REDACTED and record["phone"] == REDACTED
    assert "サンプル 太郎" not in line
    structlog.reset_defaults()


def test_event_ids_increase_strictly_within_a_process() -> None:
    from shared.events import new_event_id

    ids = [new_event_id() for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 26 for i in ids)


def test_production_requires_its_own_timeline_key() -> None:
    keys = {"secret_key": "x" * 40, "match_key": "y" * 40}
    with pytest.raises(ValueError, match="TSUNAGI_TIMELINE_KEY is required"):
        Settings(mode="production", **keys)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 32"):
        Settings(mode="production", timeline_key="short", **keys)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="differ"):
        Settings(mode="production", timeline_key="y" * 40, **keys)  # type: ignore[arg-type]
    Settings(mode="production", timeline_key="t" * 40, **keys)  # type: ignore[arg-type]
