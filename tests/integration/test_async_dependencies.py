"""Every route of every service and its dependencies run on the event loop: FastAPI runs a
plain ``def`` (endpoint or dependency) in a worker thread, a hop per request that cost
the queue read ~0.5 ms of CPU for its three small dependencies."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

SERVICES = ("intake", "case", "referral", "notify", "console")


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


def _on_the_loop(call: Any) -> bool:
    if inspect.isroutine(call):
        return inspect.iscoroutinefunction(call)
    return inspect.iscoroutinefunction(type(call).__call__)  # a callable object (a class: never)


@pytest.mark.parametrize("service", SERVICES)
def test_no_route_or_dependency_runs_in_a_worker_thread(service: str, make_settings) -> None:
    app = importlib.import_module(f"services.{service}.bootstrap").build_app(make_settings())
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    assert routes, service
    in_threads = sorted(
        {
            f"{route.path}: {getattr(call, '__qualname__', call)}"
            for route in routes
            for call in (route.dependant.call, *_calls(route.dependant))
            if call is not None and not _on_the_loop(call)
        }
    )
    assert in_threads == [], in_threads
