"""Reading a /metrics answer the way Prometheus does (the library's own parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample


class Scrape:
    def __init__(self, text: str | bytes) -> None:
        text = text.decode() if isinstance(text, bytes) else text
        self.families = {family.name: family for family in text_string_to_metric_families(text)}

    def samples(self, name: str, **labels: str) -> list[Sample]:
        """Samples named ``name`` (as written: ``…_total``, ``…_count``) carrying ``labels``."""
        return [
            s
            for family in self.families.values()
            for s in family.samples
            if s.name == name and labels.items() <= s.labels.items()
        ]

    def value(self, name: str, **labels: str) -> float | None:
        """The sum of those samples; None when there is none."""
        found = self.samples(name, **labels)
        return sum(s.value for s in found) if found else None
