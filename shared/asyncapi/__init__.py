"""AsyncAPI: each service's event contract as a document (``document.py``), a page
(``page.py``) and the committed copies the contract test compares (``committed.py``).
The routes that serve them are ``shared/http/asyncapi.py``."""

from shared.asyncapi.document import asyncapi_document, document_json, published_by
from shared.asyncapi.page import STYLESHEET, render_page

__all__ = ["STYLESHEET", "asyncapi_document", "document_json", "published_by", "render_page"]
