"""The AsyncAPI generator and page, on the contracts alone (no service is built)."""

from __future__ import annotations

import ast
import re

import pytest

from shared.asyncapi import asyncapi_document, published_by, render_page
from shared.asyncapi.page import type_parts
from shared.events import EVENT_TYPES, stream_for
from shared.settings import PROJECT_ROOT, SERVICES
from tests.support.asyncapi import asyncapi_errors, unresolved_refs

# As referral consumes today: a case service's event, and another family's event on its own stream.
REFERRAL_CONSUMES = ["referral.requested", "case.moved", "case.consent_recorded"]


def test_every_event_type_declares_one_publisher_that_is_a_service() -> None:
    for event_type, cls in EVENT_TYPES.items():
        assert getattr(cls, "PUBLISHER", None) in SERVICES, f"{event_type}: PUBLISHER must name one of {SERVICES}"
    assert published_by("case") == sorted(["referral.requested", *(t for t in EVENT_TYPES if t.startswith("case."))])


def _constructed_event_types(service: str) -> set[str]:
    """The event types whose payload class ``services/<service>/`` calls by name."""
    by_name = {cls.__name__: event_type for event_type, cls in EVENT_TYPES.items()}
    found = set()
    for path in (PROJECT_ROOT / "services" / service).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in by_name:
                found.add(by_name[node.func.id])
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_builds_only_the_events_it_is_declared_to_publish(service: str) -> None:
    built = _constructed_event_types(service)
    assert built <= set(published_by(service)), f"{service} builds events another service is declared to publish"


def test_sends_and_receives_are_split_by_stream_with_the_consumer_group() -> None:
    doc = asyncapi_document("referral", REFERRAL_CONSUMES)
    ops = doc["operations"]
    assert sorted(ops) == ["receive.tsunagi.case", "receive.tsunagi.referral", "send.tsunagi.referral"]

    def types(op: str) -> list[str]:
        return [ref["$ref"].rsplit("/", 1)[-1] for ref in ops[op]["messages"]]

    assert types("receive.tsunagi.referral") == ["referral.requested"]
    assert types("receive.tsunagi.case") == ["case.consent_recorded", "case.moved"]
    assert "referral.requested" not in types("send.tsunagi.referral")
    assert set(types("send.tsunagi.referral")) == {t for t in EVENT_TYPES if t.startswith("referral.")} - {
        "referral.requested"
    }
    assert ops["receive.tsunagi.case"]["x-consumer-group"] == "referral"
    assert "x-consumer-group" not in ops["send.tsunagi.referral"]
    assert {op["action"] for op in ops.values()} == {"send", "receive"}


def test_a_channel_lists_every_event_its_stream_carries() -> None:
    doc = asyncapi_document("referral", REFERRAL_CONSUMES)
    assert sorted(doc["channels"]) == ["tsunagi.case", "tsunagi.referral"]
    case_channel = doc["channels"]["tsunagi.case"]
    assert case_channel["address"] == "tsunagi.case"
    assert sorted(case_channel["messages"]) == sorted(t for t in EVENT_TYPES if stream_for(t) == "tsunagi.case")


def test_a_message_is_the_envelope_with_the_events_own_schema_as_payload() -> None:
    doc = asyncapi_document("case", ["consultation.submitted"])
    message = doc["components"]["messages"]["consultation.submitted"]
    envelope_ref, specific = message["payload"]["allOf"]
    assert envelope_ref == {"$ref": "#/components/schemas/Envelope"}
    assert specific["properties"]["type"] == {"const": "consultation.submitted"}
    assert specific["properties"]["schema_version"] == {"const": 1}
    assert specific["properties"]["payload"] == {"$ref": "#/components/schemas/ConsultationSubmitted"}
    assert message["x-publisher"] == "intake"
    assert message["headers"]["properties"]["event_type"] == {"const": "consultation.submitted"}
    schemas = doc["components"]["schemas"]
    assert "household" in schemas["ConsultationSubmitted"]["properties"]
    # Nested models sit beside the events, so every reference stays inside the document.
    assert {"PersonConcerned", "HouseholdMember", "Actor", "Envelope"} <= schemas.keys()
    assert unresolved_refs(doc) == []


@pytest.mark.parametrize(
    "service, consumes",
    [("console", []), ("referral", REFERRAL_CONSUMES), ("case", ["consultation.submitted", "followup.fired"])],
)
def test_documents_validate_against_the_asyncapi_3_schema(service: str, consumes: list[str]) -> None:
    doc = asyncapi_document(service, consumes)
    assert doc["asyncapi"] == "3.0.0"
    assert asyncapi_errors(doc) == []
    assert unresolved_refs(doc) == []


def test_the_schema_check_catches_a_broken_document() -> None:
    doc = asyncapi_document("case", ["consultation.submitted"])
    doc["operations"]["send.tsunagi.case"]["action"] = "publish"
    doc["components"]["schemas"]["CaseOpened"]["type"] = "thing"
    assert len(asyncapi_errors(doc)) == 2


def test_a_type_no_contract_declares_is_refused() -> None:
    with pytest.raises(ValueError, match="case.teleported"):
        asyncapi_document("notify", ["case.teleported"])


def test_types_read_as_people_write_them() -> None:
    assert type_parts({"type": "string", "format": "date-time"}) == [("string (date-time)", None)]
    assert type_parts({"anyOf": [{"type": "string"}, {"type": "null"}]}) == [
        ("string", None),
        (" | ", None),
        ("null", None),
    ]
    assert type_parts({"type": "array", "items": {"$ref": "#/components/schemas/Actor"}}) == [
        ("array of ", None),
        ("Actor", "schema-Actor"),
    ]
    assert type_parts({"type": "string", "enum": ["受付済", "終結"]}) == [('"受付済" | "終結"', None)]


def test_the_page_shows_each_message_with_its_fields_and_who_sends_it() -> None:
    page = render_page(asyncapi_document("case", ["consultation.submitted", "referral.declined"]), "case")
    assert '<html lang="ja">' in page
    assert 'href="asyncapi.css"' in page and 'href="asyncapi.json"' in page
    assert '<h3 id="message-consultation.submitted"><code>consultation.submitted</code>' in page
    # Its fields with their types, the nested model linked to its own table.
    assert "<code>school_district</code>" in page
    assert '<a href="#schema-PersonConcerned">PersonConcerned</a>' in page
    assert '<h3 id="schema-PersonConcerned">' in page
    assert "<dt>送信元</dt><dd>intake</dd>" in page
    assert "<dt>case では</dt><dd>受信</dd>" in page
    assert "コンシューマーグループ" in page and "<td>case</td>" in page
    # A message the service sends, and one that only passes by on a stream it reads.
    assert '<h3 id="message-referral.requested">' in page
    assert '<h4 id="message-referral.accepted">' in page


def test_the_page_needs_nothing_from_elsewhere() -> None:
    page = render_page(asyncapi_document("notify", ["case.opened"]), "notify")
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_the_page_escapes_what_it_reads_from_the_document() -> None:
    doc = asyncapi_document("notify", ["case.opened"])
    doc["info"]["description"] = "<b>cases & referrals</b>"
    doc["components"]["messages"]["case.opened"]["description"] = "Names ``case_id`` <i>once</i>."
    page = render_page(doc, "notify")
    assert "&lt;b&gt;cases &amp; referrals&lt;/b&gt;" in page and "<b>" not in page
    assert "<p>Names <code>case_id</code> &lt;i&gt;once&lt;/i&gt;.</p>" in page


def _channel_row(page: str, event_type: str) -> str:
    found = re.search(rf'<tr><td><a href="#message-{re.escape(event_type)}">.*?</tr>', page)
    assert found, event_type
    return found.group(0)


def test_the_page_tells_applied_skipped_and_untouched_events_apart() -> None:
    notify = render_page(asyncapi_document("notify", ["case.opened"]), "notify")
    assert _channel_row(notify, "case.opened").endswith("<td>受信</td></tr>")
    assert _channel_row(notify, "case.assigned").endswith("<td>読み飛ばす</td></tr>")
    # case sends referral.requested on a stream it does not read here: the agencies' moves are not its to skip.
    case = render_page(asyncapi_document("case", ["consultation.submitted"]), "case")
    assert _channel_row(case, "referral.requested").endswith("<td>送信</td></tr>")
    assert _channel_row(case, "referral.accepted").endswith("<td>—</td></tr>")
