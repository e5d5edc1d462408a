"""What referral's routes are given (``Services``): its runtime and reference data, built once by ``bootstrap``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from shared.http.app import services_of
from shared.reference import ReloadableReference
from shared.runtime import ServiceRuntime


@dataclass
class ReferralServices:
    runtime: ServiceRuntime
    # The agency directory and the follow-up policy (deadlines, calendars), reloadable.
    reference: ReloadableReference


Services = Annotated[ReferralServices, Depends(services_of(ReferralServices))]
