"""The agency directory file: sample-labelled, and every channel has its address."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.reference import Agency, load_reference_data
from shared.settings import PROJECT_ROOT


def test_the_sample_directory_is_valid_and_labelled() -> None:
    reference = load_reference_data(PROJECT_ROOT / "reference")
    assert reference.sample is True
    text = (PROJECT_ROOT / "reference" / "agencies.yaml").read_text(encoding="utf-8")
    assert "SAMPLE" in text and "サンプル" in text
    for agency in reference.agencies:
        assert agency.name.startswith("サンプル"), agency.id
        assert "in_app" in agency.channels, agency.id
        for address in (agency.email, agency.webhook_url):
            assert address is None or "example.invalid" in address, agency.id


@pytest.mark.parametrize(
    "fields",
    [
        {"channels": ["email"]},  # no email address
        {"channels": ["webhook"]},  # no webhook_url
        {"channels": ["fax"]},  # unknown channel
        {"channels": []},
        {"email": "not-an-address"},
        {"channels": ["webhook"], "webhook_url": "ftp://x.example.invalid"},
        {"kind": ""},
    ],
)
def test_a_bad_agency_entry_is_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        Agency.model_validate({"id": "a", "name": "サンプル", "kind": "NPO", **fields})
