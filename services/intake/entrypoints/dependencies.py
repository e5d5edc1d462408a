"""What intake's routes are given (``Services``): its runtime and reference data, built once by ``bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from shared.http.app import services_of
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime


@dataclass
class IntakeServices:
    runtime: ServiceRuntime
    reference: ReloadableReference


Services = Annotated[IntakeServices, Depends(services_of(IntakeServices))]
