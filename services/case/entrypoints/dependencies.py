"""What case's routes are given (``Services``): its runtime, reference data and
match-key hasher and the timeline's chain (its key), built once by ``bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.case.adapters.chain import TimelineChain
from services.case.domain.matching import MatchKeys
from shared.http.app import services_of
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime


@dataclass
class CaseServices:
    runtime: ServiceRuntime
    reference: ReloadableReference
    match_keys: MatchKeys
    chain: TimelineChain


Services = Annotated[CaseServices, Depends(services_of(CaseServices))]
