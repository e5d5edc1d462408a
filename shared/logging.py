"""structlog JSON logs. The correlation id is bound per request and per message
(contextvars); personal data is redacted by key before anything is written."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

# Keys whose values are personal data or free text. Never logged, whatever the caller
# passes: the processor below replaces them.
REDACTED_KEYS = frozenset(
    {
        "name", "person_name", "person", "address", "approximate_place", "phone",
        "email", "note", "notes", "noticed", "text", "body", "summary", "household",
        "reason", "purpose", "shared", "payload", "contact", "detail_text",
    }
)
REDACTED = "[redacted]"


def _redact(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in event_dict.keys() & REDACTED_KEYS:
        event_dict[key] = REDACTED
    return event_dict


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper())
    for noisy in ("uvicorn.access", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
