"""The case service's metadata, shared by the modules that declare its tables."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData

metadata = MetaData()


def at(name: str, nullable: bool = True) -> Column:
    """A moment, UTC."""
    return Column(name, DateTime(timezone=True), nullable=nullable)
