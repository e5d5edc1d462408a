"""What the operator commands know about each service, found in the service itself:
its messaging tables (``services.<svc>.adapters.orm.messaging``) and the events it
applies (``services.<svc>.entrypoints.consumers.event_handlers``, or, when the handlers
are only wired in the composition root, the runtime ``bootstrap.build_app`` builds).

A service whose package is not there (yet) is skipped, with the reason."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import database_url_for, make_engine
from shared.db.tables import MessagingTables
from shared.db.uow import UnitOfWork, UnitOfWorkFactory
from shared.messaging.handlers import EventHandlers
from shared.settings import Settings


@dataclass
class ServiceParts:
    name: str
    tables: MessagingTables
    handlers: EventHandlers
    # Extra causal rules the service declares (``consistency_rules`` in its consumers module).
    rules: tuple[Any, ...] = field(default_factory=tuple)
    # The service's own kind of unit of work, when its runtime has one.
    unit_of_work: UnitOfWorkFactory = UnitOfWork


def _optional_module(name: str, service: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == f"services.{service}" or exc.name.startswith(f"services.{service}.")):
            return None
        raise


def _runtime_from_bootstrap(service: str, settings: Settings) -> Any:
    bootstrap = _optional_module(f"services.{service}.bootstrap", service)
    if bootstrap is None:
        return None
    app = bootstrap.build_app(settings)
    return getattr(getattr(app.state, "services", None), "runtime", None)


def load_service(service: str, settings: Settings) -> tuple[ServiceParts | None, str]:
    """The service's parts, or None and why not."""
    try:
        orm = _optional_module(f"services.{service}.adapters.orm", service)
        if orm is None or not hasattr(orm, "messaging"):
            return None, f"no services/{service}/adapters/orm.py with messaging tables"
        consumers = _optional_module(f"services.{service}.entrypoints.consumers", service)
        handlers = getattr(consumers, "event_handlers", None) if consumers else None
        unit_of_work: UnitOfWorkFactory = UnitOfWork
        if not isinstance(handlers, EventHandlers):
            runtime = _runtime_from_bootstrap(service, settings)
            handlers = getattr(getattr(runtime, "consumer", None), "handlers", None) or EventHandlers()
            unit_of_work = getattr(runtime, "make_unit_of_work", UnitOfWork)
        rules = tuple(getattr(consumers, "consistency_rules", ()) or ())
        return ServiceParts(service, orm.messaging, handlers, rules, unit_of_work), ""
    except Exception as exc:  # a half-written service must not stop the report on the others
        return None, f"could not load: {type(exc).__name__}: {str(exc)[:200]}"


def database_exists(settings: Settings, service: str) -> bool:
    """False for a SQLite file never created (the service never ran); PostgreSQL: assume yes."""
    url = make_url(database_url_for(settings, service))
    if url.get_backend_name() != "sqlite":
        return True
    return url.database is not None and Path(url.database).exists()


def service_engine(settings: Settings, service: str) -> AsyncEngine:
    return make_engine(settings, service, pool_size=2)
