"""What every service's HTTP answers carry and who may read its operator endpoints,
against a running service: security headers and ``no-store`` on every answer (not on the
static assets), correlation ids made by the server (a client's kept apart, in the logs
only), the API docs working offline, and in production /metrics and the docs behind the
operator's token."""

from __future__ import annotations

import json
import re

import pytest
import structlog
from sqlalchemy import select

from shared.keyring import KeyRing
from shared.settings import PROJECT_ROOT, Settings
from shared.signing import ensure_key_pair, verify_key_path
from tests.support.services import bearer, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
OPERATOR_TOKEN = "operator-token-for-tests-0123456789abcdef"
OPERATOR_PATHS = ("/metrics", "/docs", "/redoc", "/openapi.json", "/asyncapi", "/asyncapi.json")


def _secured(response, *, cached: bool = False) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "same-origin"
    assert (headers.get("cache-control") == "no-store") is not cached, (response.url, headers.get("cache-control"))


async def test_every_answer_carries_the_security_headers_and_no_store(make_settings) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        created = await intake.post("/v1/consultations", json=EXAMPLE, headers=reporter)
        assert created.status_code == 201
        _secured(created)
        assert created.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        own = await intake.get("/v1/consultations", headers=reporter)
        _secured(own)
        _secured(await intake.get("/v1/consultations"))  # a 401
        _secured(await intake.get("/v1/consultations?offset=%00"))  # a 422 from the URL check
        _secured(await intake.post("/v1/consultations", content=b"x" * (settings.max_body_bytes + 1)))  # 413
        _secured(await intake.get("/health"))
        _secured(await intake.get("/docs"))
        asset = await intake.get("/static/apidocs/swagger-ui/swagger-ui.css")
        assert asset.status_code == 200
        _secured(asset, cached=True)


async def test_the_correlation_id_is_the_servers_and_a_clients_is_only_logged(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
            created = await intake.post(
                "/v1/consultations",
                json=EXAMPLE,
                headers={"x-correlation-id": "client-chosen-42", **bearer(settings, "reporter", "vol-1")},
            )
        assert created.status_code == 201, created.text
        ours = created.headers["x-correlation-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", ours)
        runtime = intake.app.state.services.runtime  # type: ignore[attr-defined]
        async with runtime.engine.connect() as db:
            envelopes = (await db.execute(select(runtime.tables.outbox.c.envelope))).scalars().all()
        assert envelopes and {e["correlation_id"] for e in envelopes} == {ours}
        assert "client-chosen-42" not in json.dumps(envelopes)
        answered = next(line for line in logs if line["event"] == "http_request")
        assert (answered["correlation_id"], answered["client_correlation_id"]) == (ours, "client-chosen-42")
        again = await intake.get("/health", headers={"x-correlation-id": "client-chosen-42"})
        assert again.headers["x-correlation-id"] not in (ours, "client-chosen-42")


ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/asyncapi"])
async def test_the_docs_pages_load_nothing_from_elsewhere(make_settings, page: str) -> None:
    async with running_service("referral", make_settings()) as referral:
        html = await referral.get(page)
        assert html.status_code == 200
        assets = ASSET.findall(html.text)
        assert assets, html.text
        assert not [a for a in assets if re.match(r"(?:https?:)?//", a)], assets
        assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", html.text)
        for asset in (a for a in assets if not a.startswith("#")):
            fetched = await referral.get(asset)
            assert fetched.status_code == 200 and fetched.content, asset
        if page != "/asyncapi":
            assert (await referral.get("/openapi.json")).json()["info"]["title"].startswith("Tsunagi referral")


def _production(make_settings, **overrides: object) -> Settings:
    keys = make_settings()
    ensure_key_pair(keys)
    return make_settings(
        mode="production",
        secret_key="s" * 40,
        match_key="m" * 40,
        timeline_key="t" * 40,
        console_verify_key_file=verify_key_path(keys),
        payload_keys=KeyRing.new().as_setting(),
        **overrides,
    )


async def test_in_production_the_operator_endpoints_want_the_operators_token(make_settings, database_backend) -> None:
    settings = _production(make_settings, operator_token=OPERATOR_TOKEN)
    async with running_service("intake", settings) as intake:
        assert (await intake.get("/health")).status_code == 200
        for path in OPERATOR_PATHS:
            missing = await intake.get(path)
            assert missing.status_code == 401, path
            assert missing.headers["content-type"] == "application/problem+json"
            assert "運用者トークン" in missing.json()["detail"]
            wrong = await intake.get(path, headers={"authorization": f"Bearer {OPERATOR_TOKEN[:-1]}x"})
            assert wrong.status_code == 401, path
            # A person's token is not the operator's.
            assert (await intake.get(path, headers={"authorization": "Bearer " + "x" * 40})).status_code == 401
            right = await intake.get(path, headers={"authorization": f"Bearer {OPERATOR_TOKEN}"})
            assert right.status_code == 200, (path, right.text)
        # A development-key token gets the one-line refusal.
        refused = await intake.get("/v1/consultations", headers=bearer(make_settings(), "reporter", "vol-1"))
        assert refused.status_code == 401 and "本番環境" in refused.json()["detail"]


async def test_in_production_without_a_token_they_are_off_unless_the_bind_is_the_operators(make_settings) -> None:
    async with running_service("intake", _production(make_settings)) as intake:
        for path in OPERATOR_PATHS:
            refused = await intake.get(path, headers={"authorization": f"Bearer {OPERATOR_TOKEN}"})
            assert refused.status_code == 403 and "TSUNAGI_OPERATOR_TOKEN" in refused.json()["detail"], path
    async with running_service("intake", _production(make_settings, operator_endpoints_open=True)) as intake:
        for path in OPERATOR_PATHS:
            assert (await intake.get(path)).status_code == 200, path


async def test_the_consoles_pages_carry_the_same_headers_with_their_own_policy(make_settings) -> None:
    async with running_service("console", make_settings()) as console:
        page = await console.get("/signin")
        assert page.status_code == 200
        _secured(page)
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["server-timing"].startswith("app;dur=")
        _secured(await console.get("/static/console.css"), cached=True)
        assert (await console.get("/docs")).status_code == 404  # the console's pages are not an API
