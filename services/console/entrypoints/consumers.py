"""The events the console applies: none. It publishes ``account.*`` and ``session.ended``
and learns everything else from the services' HTTP APIs, as the person it acts for."""

from __future__ import annotations

from shared.messaging.handlers import EventHandlers

event_handlers = EventHandlers()
