"""Every running service answers /asyncapi (its page) and /asyncapi.json (the committed
document, to the byte: what the process runs is what docs/asyncapi/ says), without a token,
and publishes to exactly the streams its contracts declare."""

from __future__ import annotations

import pytest

from shared.asyncapi.committed import DOCS_DIR
from shared.settings import SERVICES
from tests.support.services import running_service


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_serves_its_asyncapi_document_and_page(make_settings, service: str) -> None:
    async with running_service(service, make_settings()) as client:
        document = await client.get("/asyncapi.json")
        assert document.status_code == 200
        assert document.headers["content-type"] == "application/json"
        assert document.text == (DOCS_DIR / f"{service}.json").read_text(encoding="utf-8")
        # The streams the runtime was told it publishes to (and trims) are those its contracts declare.
        sends = {
            op["channel"]["$ref"].rsplit("/", 1)[-1]
            for op in document.json()["operations"].values()
            if op["action"] == "send"
        }
        assert set(client.app.state.services.runtime.trimmer.streams) == sends  # type: ignore[attr-defined]

        page = await client.get("/asyncapi")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert f"<h1><code>{service}</code> サービスのイベント契約</h1>" in page.text
        assert 'href="asyncapi.css"' in page.text

        stylesheet = await client.get("/asyncapi.css")
        assert stylesheet.status_code == 200
        assert stylesheet.headers["content-type"].startswith("text/css")

        if service != "console":  # the console publishes no OpenAPI (its pages are not an API)
            paths = (await client.get("/openapi.json")).json()["paths"]
            assert paths["/asyncapi"]["get"]["tags"] == ["ops"]
            assert paths["/asyncapi.json"]["get"]["tags"] == ["ops"]
            assert "/asyncapi.css" not in paths
