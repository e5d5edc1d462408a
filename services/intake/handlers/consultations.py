"""Intake's service layer: one transaction per command, events through the outbox."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from services.intake.adapters.orm import consultations
from services.intake.adapters.repository import ConsultationRepository
from services.intake.domain.consultation import (
    RECEIVED_STAGE,
    ReporterView,
    check_name_kana,
    is_newer,
    new_reference,
    normalise_reference,
)
from services.intake.entrypoints.schemas import ConsultationIn
from shared.db.group_commit import GroupCommit
from shared.db.uow import UnitOfWork
from shared.errors import InvalidInput, NotFound
from shared.events import CaseOpened, CaseStageChanged, ConsultationLinked, ConsultationSubmitted, Envelope
from shared.events.case import CaseRetentionErased
from shared.events.envelope import new_event_id
from shared.identity import Identity
from shared.logging import get_logger
from shared.plausible import check_age_group
from shared.reference import UNKNOWN_DISTRICT, ReferenceData

log = get_logger(__name__)


def validate_against_reference(data: ConsultationIn, ref: ReferenceData) -> None:
    if data.school_district != UNKNOWN_DISTRICT and ref.school_district(data.school_district) is None:
        raise InvalidInput(
            f"小学校区「{data.school_district}」は登録されていません(分からない場合は「不明」)。",
            field="school_district",
        )
    unknown = [c for c in data.categories if c not in ref.ids("categories")]
    if unknown:
        raise InvalidInput(f"相談分類 {unknown} は登録されていません。", field="categories")
    if data.reporter_role not in ref.ids("reporter_roles"):
        raise InvalidInput(f"通報者の区分「{data.reporter_role}」は登録されていません。", field="reporter_role")
    if data.channel not in ref.ids("channels"):
        raise InvalidInput(f"経路「{data.channel}」は登録されていません。", field="channel")
    check_age_group(data.person.age_group, ref, "person.age_group")
    for i, member in enumerate(data.household):
        check_age_group(member.age_group, ref, f"household.{i}.age_group")


async def submit_consultation(
    writes: GroupCommit, ref: ReferenceData, data: ConsultationIn, reporter: Identity, correlation_id: str
) -> ReporterView:
    """Stores the consultation and its ``consultation.submitted`` event together; under
    load, together with the other submissions in flight (``GroupCommit``)."""
    validate_against_reference(data, ref)
    person = data.person.model_copy(update={"name_kana": check_name_kana(data.person.name_kana)})
    received_at = writes.clock.now()
    consultation_id = new_event_id()
    row = {
        "id": consultation_id,
        "reporter_id": reporter.subject,
        "reporter_role": data.reporter_role,
        "channel": data.channel,
        "school_district": data.school_district,
        "categories": data.categories,
        "urgency": data.urgency,
        "consent": data.consent,
        "legal_ground": data.legal_ground,
        "person": person.model_dump(mode="json"),
        "household": [m.model_dump(mode="json") for m in data.household],
        "noticed": data.noticed,
        "sample": data.sample,
        "received_at": received_at,
        "case_id": None,
    }
    for _attempt in range(5):  # a reference collision is astronomically rare; retry anyway
        reference = new_reference(received_at)
        submitted = Envelope.wrap(
            ConsultationSubmitted(
                consultation_id=consultation_id,
                reference=reference,
                reporter_id=reporter.subject,
                reporter_role=data.reporter_role,
                channel=data.channel,
                school_district=data.school_district,
                categories=data.categories,
                urgency=data.urgency,
                consent=data.consent,
                legal_ground=data.legal_ground,
                person=person,
                household=data.household,
                noticed=data.noticed,
                sample=data.sample,
                received_at=received_at.isoformat(),
            ),
            aggregate_id=consultation_id,
            actor=reporter.actor,
            correlation_id=correlation_id,
            occurred_at=received_at,
        )
        try:
            await writes.insert([(consultations, {**row, "reference": reference})], [submitted])
        except IntegrityError:
            async with writes.unit_of_work() as uow:
                if await ConsultationRepository(uow.db).reference_exists(reference):
                    continue
            raise
        return ReporterView(reference=reference, stage=RECEIVED_STAGE, received_at=received_at, updated_at=received_at)
    raise RuntimeError("could not allocate a unique reference number")


async def reporter_view(uow: UnitOfWork, reference: str, caller: Identity) -> ReporterView:
    async with uow:
        row = await ConsultationRepository(uow.db).by_reference(normalise_reference(reference))
    # Only its submitter may read it; to anyone else it does not exist.
    if row is None or row.reporter_id != caller.subject:
        raise NotFound("この受付番号の相談は見つかりません。番号を確かめてください。")
    return ReporterView.of(row.reference, row.received_at, row.stage, row.updated_at)


async def my_consultations(
    uow: UnitOfWork, caller: Identity, offset: int, limit: int
) -> tuple[list[ReporterView], int]:
    """What the caller submitted themselves (whatever their role), newest first: the
    stage of each, never anything about its case or what others raised."""
    async with uow:
        repo = ConsultationRepository(uow.db)
        rows = await repo.of_reporter(caller.subject, offset=offset, limit=limit)
        total = await repo.count_of_reporter(caller.subject)
    return [ReporterView.of(r.reference, r.received_at, r.stage, r.updated_at) for r in rows], total


# Event handlers -------------------------------------------------------------------------


async def on_cases_opened_or_linked(envelopes: list[Envelope], uow: UnitOfWork) -> None:
    """The case each consultation became (a batch at a time: one executemany). Order-free:
    a consultation is opened or linked once, to one case."""
    payloads = [
        e.payload_as(CaseOpened) if e.type == CaseOpened.TYPE else e.payload_as(ConsultationLinked) for e in envelopes
    ]
    await ConsultationRepository(uow.db).link_cases([(p.consultation_id, p.case_id) for p in payloads])


async def on_case_stage_changed(envelope: Envelope, uow: UnitOfWork) -> None:
    payload = envelope.payload_as(CaseStageChanged)
    repo = ConsultationRepository(uow.db)
    current = await repo.stage_event_of(payload.case_id)
    if is_newer(envelope.event_id, current):
        await repo.set_stage(
            payload.case_id, payload.stage, envelope.event_id, envelope.occurred_at, exists=current is not None
        )


async def on_retention_erased(envelope: Envelope, uow: UnitOfWork) -> None:
    """``case.retention_erased``: the case's consultations keep nothing personal."""
    erased = envelope.payload_as(CaseRetentionErased)
    count = await ConsultationRepository(uow.db).erase_personal(erased.case_ids)
    log.info("retention_erased", case_id=erased.case_id, consultations=count)
