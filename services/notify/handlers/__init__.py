"""Notify's event handlers (``events``), the notifications they record (``notifying``),
follow-up timers (``followups``), deliveries (``deliveries``), its reads and user
commands (``queries``) and what they all need besides a unit of work (``context``)."""
