"""Intake's HTTP routes: parse, check the caller, call one handler, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.intake.domain.consultation import ReporterView
from services.intake.entrypoints.dependencies import Services
from services.intake.entrypoints.schemas import (
    ConsultationIn,
    ConsultationReceipt,
    ConsultationStatus,
    MyConsultations,
)
from services.intake.handlers import consultations as handlers
from shared.clock import jst_text
from shared.http.app import correlation_id_of
from shared.http.paging import Window, page_of, paging
from shared.identity import CurrentIdentity, require_role

router = APIRouter(prefix="/v1", tags=["consultations"])


@router.post(
    "/consultations",
    status_code=201,
    response_model=ConsultationReceipt,
    summary="相談を受け付ける (raise a consultation)",
)
async def submit(
    body: ConsultationIn, request: Request, services: Services, caller: CurrentIdentity
) -> ConsultationReceipt:
    require_role(caller, "reporter", "coordinator")
    view = await handlers.submit_consultation(
        services.runtime.group_commit, services.reference.live, body, caller, correlation_id_of(request)
    )
    return ConsultationReceipt(
        reference=view.reference,
        stage=view.stage,
        received_at=view.received_at,
        received_at_jst=jst_text(view.received_at),
        status_url=f"/v1/consultations/{view.reference}",
    )


def _status(view: ReporterView) -> ConsultationStatus:
    return ConsultationStatus(
        reference=view.reference,
        stage=view.stage,
        received_at=view.received_at,
        received_at_jst=jst_text(view.received_at),
        updated_at=view.updated_at,
        updated_at_jst=jst_text(view.updated_at),
    )


@router.get(
    "/consultations", response_model=MyConsultations, summary="自分が受け付けてもらった相談の一覧(状況のみ、新しい順)"
)
async def mine(
    request: Request,
    services: Services,
    caller: CurrentIdentity,
    window: Annotated[Window, Depends(paging(default=20, maximum=100))],
) -> MyConsultations:
    views, total = await handlers.my_consultations(services.runtime.unit_of_work(), caller, window.offset, window.limit)
    return MyConsultations(**page_of(window, [_status(v) for v in views], total))


@router.get(
    "/consultations/{reference}",
    response_model=ConsultationStatus,
    summary="受付番号で状況を確認する (status only, for its submitter)",
)
async def status(reference: str, request: Request, services: Services, caller: CurrentIdentity) -> ConsultationStatus:
    return _status(await handlers.reporter_view(services.runtime.unit_of_work(), reference, caller))
