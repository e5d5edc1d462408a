"""Tsunagi's shared kernel: event contracts, messaging, settings, logging, database
plumbing and identity. It holds no service's business rules."""
