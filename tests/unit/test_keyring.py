"""The key ring and the sealing of personal fields (no I/O but a temporary folder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.events import SYSTEM, ConsultationSubmitted, Envelope, ReferralRequested
from shared.events.consultation import HouseholdMember, PersonConcerned
from shared.events.personal import erase_payload, personal_paths, seal_payload
from shared.keyring import KeyRing, KeyRingError, ensure_key_file, is_sealed
from shared.messaging.failures import error_text
from shared.settings import Settings

NAME = "暗号化確認太郎"


def submitted() -> ConsultationSubmitted:
    return ConsultationSubmitted(
        consultation_id="c1",
        reference="R-1",
        reporter_id="rep-1",
        reporter_role="reporter",
        channel="web",
        school_district="第一小",
        categories=["見守り"],
        urgency="通常",
        consent="同意あり",
        person=PersonConcerned(name=NAME, name_kana="アンゴウカ", age_group="70代", approximate_place="駅前の団地"),
        household=[HouseholdMember(relation="妻", name="暗号化確認花子", note="耳が遠い")],
        noticed="新聞が溜まっている",
        sample=True,
    )


def test_a_sealed_value_opens_to_what_was_sealed_and_hides_it() -> None:
    ring = KeyRing.new()
    token = ring.seal({"name": NAME, "n": 3})
    assert is_sealed(token) and NAME not in token and ring.current in token
    assert ring.open(token) == {"name": NAME, "n": 3}
    assert ring.seal(NAME) != ring.seal(NAME), "a fresh nonce each time"


def test_after_rotation_new_values_use_the_new_key_and_old_ones_still_open() -> None:
    old = KeyRing.new()
    before = old.seal(NAME)
    ring = old.rotated()
    assert ring.current != old.current and set(ring.keys) == {old.current, ring.current}
    after = ring.seal(NAME)
    assert f".{ring.current}." in after
    assert ring.open(before) == NAME and ring.open(after) == NAME
    with pytest.raises(KeyRingError, match="current key"):
        ring.without(ring.current)
    with pytest.raises(KeyRingError, match=old.current):
        ring.without(old.current).open(before)


def test_an_unknown_key_id_is_a_clear_error() -> None:
    token = KeyRing.new().seal(NAME)
    with pytest.raises(KeyRingError, match="does not hold"):
        KeyRing.for_tests().open(token)


@pytest.mark.parametrize("where", [-3, 20])
def test_tampered_ciphertext_is_refused(where: int) -> None:
    ring = KeyRing.new()
    token = ring.seal(NAME)
    flipped = "A" if token[where] != "A" else "B"
    with pytest.raises(KeyRingError, match="altered"):
        ring.open(token[:where] + flipped + token[where + 1 :])


def test_a_token_moved_under_another_key_id_is_refused() -> None:
    first = KeyRing.new()
    ring = first.rotated()
    token = first.seal(NAME)
    with pytest.raises(KeyRingError, match="altered"):
        ring.open(token.replace(first.current, ring.current, 1))


def test_the_ring_reads_the_setting_and_refuses_a_bad_one() -> None:
    ring = KeyRing.new().rotated()
    parsed = KeyRing.parse(ring.as_setting(), ring.current)
    assert parsed == ring
    assert KeyRing.parse(ring.as_setting()).current == list(ring.keys)[-1]
    with pytest.raises(KeyRingError, match="32 bytes"):
        KeyRing.parse("k1:c2hvcnQ")
    with pytest.raises(KeyRingError, match="id:base64url"):
        KeyRing.parse("no-colon")
    with pytest.raises(KeyRingError, match="not in the ring"):
        KeyRing.parse(ring.as_setting(), "other")


def test_where_the_keys_come_from(tmp_path: Path) -> None:
    assert KeyRing.from_settings(Settings(mode="test", data_dir=tmp_path)) == KeyRing.for_tests()
    embedded = KeyRing.from_settings(Settings(mode="embedded", data_dir=tmp_path))
    assert embedded == KeyRing.from_settings(Settings(mode="embedded", data_dir=tmp_path)), "made once, then read"
    stored = tmp_path / "keys" / "payload-keys.json"
    assert stored.stat().st_mode & 0o077 == 0
    assert json.loads(stored.read_text())["current"] == embedded.current
    assert ensure_key_file(stored) == embedded
    production = Settings(
        mode="production", data_dir=tmp_path, secret_key="s" * 40, match_key="m" * 40, timeline_key="t" * 40
    )
    with pytest.raises(KeyRingError, match="TSUNAGI_PAYLOAD_KEYS"):
        KeyRing.from_settings(production)
    configured = production.model_copy(update={"payload_keys": embedded.as_setting()})
    assert KeyRing.from_settings(Settings.model_validate(configured.model_dump())) == embedded


def test_the_contracts_mark_their_personal_fields() -> None:
    assert personal_paths(ConsultationSubmitted) == [
        "person.name",
        "person.approximate_place",
        "person.name_kana",
        "household[].name",
        "household[].note",
        "noticed",
    ]
    assert personal_paths(ReferralRequested) == ["purpose", "shared"]


def test_a_sealed_payload_keeps_identifiers_and_opens_only_with_the_ring() -> None:
    ring = KeyRing.for_tests()
    envelope = Envelope.wrap(submitted(), aggregate_id="c1", actor=SYSTEM, correlation_id="corr")
    sealed = seal_payload(ConsultationSubmitted, envelope.payload, ring)
    text = json.dumps(sealed, ensure_ascii=False)
    for secret in (NAME, "アンゴウカ", "駅前の団地", "暗号化確認花子", "耳が遠い", "新聞が溜まっている"):
        assert secret not in text
    assert sealed["consultation_id"] == "c1" and sealed["household"][0]["relation"] == "妻"
    on_stream = envelope.model_copy(update={"payload": sealed})
    assert on_stream.opened_with(ring).payload_as(ConsultationSubmitted) == submitted()
    with pytest.raises(ValidationError, match="no key ring"):
        on_stream.opened_with(None).payload_as(ConsultationSubmitted)
    # A payload made before sealing existed still reads.
    assert envelope.payload_as(ConsultationSubmitted) == submitted()


def test_an_erased_payload_keeps_identifiers_and_no_personal_field() -> None:
    """What retention leaves of an event kept in an outbox (shared/messaging/erasure.py)."""
    sealed = seal_payload(ConsultationSubmitted, submitted().model_dump(mode="json"), KeyRing.for_tests())
    erased = erase_payload(ConsultationSubmitted, sealed)
    assert erased["consultation_id"] == "c1" and erased["household"][0]["relation"] == "妻"
    assert (erased["person"]["name"], erased["household"][0]["note"], erased["noticed"]) == (None, None, None)
    assert "tsk1." not in json.dumps(erased)
    assert erase_payload(ConsultationSubmitted, erased) == erased


def test_error_text_keeps_where_and_what_but_not_the_input() -> None:
    ring = KeyRing.for_tests()
    payload = seal_payload(ConsultationSubmitted, submitted().model_dump(mode="json"), ring)
    payload["person"]["name"] = ring.seal([NAME])  # a list where a name belongs
    payload["urgency"] = NAME
    with pytest.raises(ValidationError) as caught:
        ConsultationSubmitted.model_validate(payload, context={"keys": ring})
    assert NAME in str(caught.value), "pydantic's own text repeats the input"
    text = error_text(caught.value)
    assert NAME not in text
    assert "person.name: Input should be a valid string [type=string_type]" in text
    assert "urgency:" in text


def test_keys_rotate_keeps_the_old_key_in_the_embedded_ring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.cli.main import main

    monkeypatch.setenv("TSUNAGI_MODE", "embedded")
    monkeypatch.setenv("TSUNAGI_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TSUNAGI_PAYLOAD_KEYS", raising=False)
    first = KeyRing.from_settings(Settings())
    sealed = first.seal(NAME)
    assert main(["keys", "rotate"]) == 0
    rotated = KeyRing.from_settings(Settings())
    assert rotated.current != first.current and first.current in rotated.keys
    assert rotated.open(sealed) == NAME
    assert "restart" in capsys.readouterr().out


def test_keys_rotate_in_production_is_two_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.cli.main import main

    ring = KeyRing.new()
    monkeypatch.setenv("TSUNAGI_MODE", "production")
    monkeypatch.setenv("TSUNAGI_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("TSUNAGI_MATCH_KEY", "m" * 40)
    monkeypatch.setenv("TSUNAGI_TIMELINE_KEY", "t" * 40)
    monkeypatch.setenv("TSUNAGI_PAYLOAD_KEYS", ring.as_setting())
    assert main(["keys", "rotate"]) == 0
    out = capsys.readouterr().out
    step_one = next(line for line in out.splitlines() if "TSUNAGI_PAYLOAD_KEYS=" in line)
    widened = KeyRing.parse(step_one.split("=", 1)[1], ring.current)
    assert set(widened.keys) > set(ring.keys) and widened.current == ring.current
    new_id = (set(widened.keys) - set(ring.keys)).pop()
    assert f"TSUNAGI_PAYLOAD_KEY_ID={new_id}" in out
