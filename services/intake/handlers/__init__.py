"""Intake's commands: one unit of work each, events through the outbox."""
