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
        "name",
        "person_name",
        "person",
        "address",
        "approximate_place",
        "phone",
        "email",
        "note",
        "notes",
        "noticed",
        "text",
        "body",
        "summary",
        "household",
        "reason",
        "purpose",
        "shared",
        "payload",
        "contact",
        "detail_text",
    }
)
REDACTED = "[redacted]"


def _redact(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in event_dict.keys() & REDACTED_KEYS:
        event_dict[key] = REDACTED
    return event_dict


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """structlog for our own logs; the standard library's (uvicorn, alembic,
    faststream) go through the same processors, so every line has one shape."""
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared_processors, structlog.stdlib.add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for noisy in ("uvicorn.access", "aiosqlite", "asyncio", "faststream", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared_processors, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
