"""Database plumbing shared by the services: engines, the outbox and inbox tables,
the unit of work and migrations. Each service owns its own tables and schema."""
