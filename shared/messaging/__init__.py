"""Messaging over Redis Streams with FastStream: nothing lost, nothing applied twice.

- ``broker.py``      the broker and the Redis client, built from settings
- ``relay.py``       the outbox relay (one leader per service by ``lease.py``)
- ``consumer.py``    idempotent consumers: inbox in the same transaction, ack after commit
- ``reclaim.py``     retries with backoff, reclaim from dead consumers, dead letters
- ``failures.py``    which failures are transient (never dead-lettered)
- ``deadletter.py``  the dead-letter streams and how entries are resolved
- ``replay.py``      ``tsunagi dlq replay``: apply a dead letter once, for its service only
- ``retention.py``   trimming that never removes what a group still needs
- ``consistency.py`` ``tsunagi check``: lost / duplicated / in flight, from outboxes, inboxes and Redis
  (``consistency_snapshot.py`` reads, ``consistency_judge.py`` judges, ``consistency_report.py`` reports)
- ``erasure.py``     retention's erasure of a case's events: outbox rows, stream entries, dead letters
- ``catalog.py``     what the operator commands find in each service package
- ``streams.py``     stream names, groups and entry encoding"""
