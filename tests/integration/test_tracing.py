"""Traces across the services, on real Redis and a real database (SQLite and PostgreSQL):
four services in one event loop, each tracing into an in-memory exporter, driven over
HTTP. One consultation is one trace from intake's POST through case to intake and
notify; a coordinator's referral is one trace from case's POST through referral to
notify. No span carries what the reporter wrote."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import shared.tracing.setup as tracing_setup
from shared.settings import PROJECT_ROOT
from tests.integration.notify.notify_support import fast_loops, in_app_only_reference
from tests.support.services import bearer, eventually, running_service

SERVICES = ("intake", "case", "referral", "notify")
NAME, KANA = "試験 花子", "シケン ハナコ"
PLACE = "サンプル町3丁目の公園の近く"
NOTICED = "サンプル: 郵便受けに手紙があふれている。"
CONSULTATION = {
    **json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8")),
    "person": {"name": NAME, "name_kana": KANA, "age_group": "80代", "approximate_place": PLACE},
    "noticed": NOTICED,
}


def _service(span: ReadableSpan) -> str:
    return str(span.resource.attributes["service.name"]).removeprefix("tsunagi-")


class Spans:
    def __init__(self, spans: Iterable[ReadableSpan]) -> None:
        self.all = list(spans)
        self.by_id = {s.context.span_id: s for s in self.all}

    def named(self, name: str, service: str) -> list[ReadableSpan]:
        return [s for s in self.all if s.name == name and _service(s) == service]

    def ancestors(self, span: ReadableSpan) -> list[ReadableSpan]:
        found = []
        while span.parent is not None and span.parent.span_id in self.by_id:
            span = self.by_id[span.parent.span_id]
            found.append(span)
        return found

    def descends(self, span: ReadableSpan, ancestor: ReadableSpan) -> bool:
        return any(a.context.span_id == ancestor.context.span_id for a in self.ancestors(span))

    def under(self, name: str, service: str, ancestor: ReadableSpan) -> ReadableSpan:
        """The span of that name and service that descends from ``ancestor`` (a redelivery
        or a batch's second try can make more than one; one is enough)."""
        candidates = self.named(name, service)
        assert candidates, f"no span {name!r} in {service}"
        found = [s for s in candidates if self.descends(s, ancestor)]
        assert found, f"{name!r} in {service} does not descend from {ancestor.name!r}"
        return found[0]


async def test_one_consultation_is_one_trace_and_no_span_holds_what_was_written(
    make_settings, database_backend, tmp_path, monkeypatch
) -> None:
    exporters: list[InMemorySpanExporter] = []

    def in_memory(_settings: Any) -> InMemorySpanExporter:
        exporters.append(exporter := InMemorySpanExporter())
        return exporter

    monkeypatch.setattr(tracing_setup, "otlp_exporter", in_memory)
    fast_loops(monkeypatch)
    settings = make_settings(otlp_endpoint="http://collector.test:4318", reference_dir=in_app_only_reference(tmp_path))

    def spans() -> Spans:
        return Spans(s for e in exporters for s in e.get_finished_spans())

    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {
            s: await stack.enter_async_context(running_service(s, settings)) for s in SERVICES
        }

        def flushed() -> Spans:
            for client in clients.values():
                client.app.state.services.runtime.tracing.provider.force_flush()  # type: ignore[attr-defined]
            return spans()

        async def applied(*wanted: tuple[str, str]) -> bool:
            found = flushed()
            return all(found.named(f"apply {event_type}", service) for service, event_type in wanted)

        reporter = bearer(settings, "reporter", "vol-1")
        submitted = await clients["intake"].post("/v1/consultations", json=CONSULTATION, headers=reporter)
        assert submitted.status_code == 201, submitted.text
        reference = submitted.json()["reference"]
        case, chubu = clients["case"], bearer(settings, "coordinator", "中部", "csw-chubu-1")

        async def the_case() -> dict[str, Any] | None:
            listed = (await case.get("/v1/cases", headers=chubu)).json()["items"]
            return (await case.get(f"/v1/cases/{listed[0]['id']}", headers=chubu)).json() if listed else None

        opened = await eventually(the_case, what="the case in 中部's queue")
        await eventually(
            lambda: applied(("intake", "case.opened"), ("notify", "case.opened")),
            what="case.opened applied by intake and notify",
        )
        status = await clients["intake"].get(f"/v1/consultations/{reference}", headers=reporter)
        assert status.status_code == 200
        assert (await clients["intake"].get("/health")).status_code == 200  # probes are not traced

        assigned = await case.post(
            f"/v1/cases/{opened['id']}/assignment",
            headers=chubu,
            json={"coordinator_id": "csw-chubu-1", "version": opened["version"]},
        )
        assert assigned.status_code == 200, assigned.text
        version = (await case.get(f"/v1/cases/{opened['id']}", headers=chubu)).json()["version"]
        referred = await case.post(
            f"/v1/cases/{opened['id']}/referrals",
            headers=chubu,
            json={
                "agency_id": "hc-3",
                "purpose": "サンプル: 訪問をお願いします",
                "share": ["age_group", "categories"],
                "version": version,
            },
        )
        assert referred.status_code == 201, referred.text
        await eventually(
            lambda: applied(("referral", "referral.requested"), ("notify", "referral.received")),
            what="the referral applied by referral and notify",
        )
    found = spans()  # every service has stopped: its spans are exported

    # The consultation: intake's request is the root, and every service's work descends from it.
    post = found.named("POST /v1/consultations", "intake")
    assert len(post) == 1 and post[0].parent is None and post[0].kind == SpanKind.SERVER
    root = post[0]
    submitted = found.under("apply consultation.submitted", "case", root)
    assert submitted.attributes["tsunagi.event.type"] == "consultation.submitted"
    assert submitted.attributes["tsunagi.service"] == "case"
    assert submitted.kind == SpanKind.CONSUMER
    for service in ("intake", "notify"):
        found.under("apply case.opened", service, submitted)
    found.under("publish consultation.submitted", "intake", root)  # the relay, when it sent it alone
    statements = [
        s
        for s in found.all
        if s.context.trace_id == root.context.trace_id
        and _service(s) == "case"
        and "db.statement" in (s.attributes or {})
    ]
    assert statements and all(found.descends(s, submitted) for s in statements)
    assert {_service(s) for s in found.all if s.context.trace_id == root.context.trace_id} >= {
        "intake",
        "case",
        "notify",
    }

    # Paths are named by their template: the reference number is in no span.
    assert found.named("GET /v1/consultations/{reference}", "intake")
    assert not [s for s in found.all if "health" in s.name]

    # The referral: case's request is the root; referral and notify descend from it.
    refer = found.named("POST /v1/cases/{case_id}/referrals", "case")
    assert len(refer) == 1 and refer[0].parent is None
    requested = found.under("apply referral.requested", "referral", refer[0])
    found.under("apply referral.received", "notify", requested)
    found.under("apply referral.requested", "notify", refer[0])

    # Nothing the reporter wrote, nor the reference number, in any span's name or attributes.
    for span in found.all:
        text = json.dumps(
            [span.name, dict(span.attributes or {}), [dict(e.attributes or {}) for e in span.events]],
            ensure_ascii=False,
        )
        for secret in (NAME, KANA, PLACE, NOTICED, "郵便受け", reference, opened["case_number"]):
            assert secret not in text, f"{secret!r} in span {span.name!r}"
