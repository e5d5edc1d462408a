"""``GET /asyncapi`` (the page) and ``GET /asyncapi.json`` (the AsyncAPI 3.0 document) of a
service's events, open or behind the operator's token like ``/docs`` (``operator.py``).
Both are built once, from the contracts and the handlers this process runs, so they say
what the process really sends and applies."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse, Response

from shared.asyncapi import STYLESHEET, asyncapi_document, document_json, render_page
from shared.http.operator import OperatorOnly
from shared.messaging.handlers import EventHandlers


def add_asyncapi(app: FastAPI, service: str, handlers: EventHandlers) -> None:
    document = asyncapi_document(service, handlers.event_types)
    body = document_json(document).encode()
    page = render_page(document, service)
    stylesheet = STYLESHEET.read_bytes()

    # Under the ops tag: /docs is where an API's reader looks first, so the events are found from there.
    @app.get(
        "/asyncapi.json",
        tags=["ops"],
        response_class=JSONResponse,
        summary="このサービスのイベント契約 (AsyncAPI 3.0.0 document)",
        dependencies=[OperatorOnly],
    )
    async def asyncapi_json() -> Response:
        return Response(body, media_type="application/json")

    @app.get(
        "/asyncapi",
        tags=["ops"],
        response_class=HTMLResponse,
        summary="このサービスのイベント契約 (readable page)",
        dependencies=[OperatorOnly],
    )
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/asyncapi.css", include_in_schema=False)
    async def asyncapi_stylesheet() -> Response:
        return Response(stylesheet, media_type="text/css")
