"""Messaging over Redis Streams with FastStream: the broker, the outbox relay, the
idempotent consumer with its reclaim loop and dead-letter stream."""
