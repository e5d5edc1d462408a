"""A household member's own needs (categories, consent, language, interpreter): recorded
on the case under its version; ``case.member_needs_recorded`` on its timeline. And the
member a referral or a meeting's share is about (``member_of``), whose own consent
(``domain.member_needs.member_consent``) is what such a share is checked under."""

from __future__ import annotations

from typing import Any

from services.case.adapters.member_needs import MemberNeedsRepository
from services.case.domain.member_needs import Needs, check_needs
from services.case.handlers.common import (
    CaseUpdate,
    check_version,
    check_workable,
    family_ids,
    load_visible,
    require_writer,
)
from shared.db.uow import UnitOfWork
from shared.errors import InvalidInput, NotFound
from shared.events.members import MemberNeedsRecorded
from shared.identity import Identity
from shared.reference import ReferenceData


async def record_needs(
    uow: UnitOfWork,
    reference: ReferenceData,
    case_id: str,
    member_id: str,
    needs: Needs,
    version: int,
    caller: Identity,
    correlation_id: str,
) -> int:
    require_writer(caller)
    checked = check_needs(needs, reference.ids("categories"))
    async with uow:
        case = await load_visible(uow, case_id, caller, for_update=True)
        check_version(case, version)
        check_workable(case)
        repo = MemberNeedsRepository(uow.db)
        if not await repo.belongs(member_id, await family_ids(uow, case_id)):
            raise NotFound("この世帯員は見つかりません。")
        await repo.set_needs(member_id, checked)
        update = CaseUpdate(uow, case, actor=caller.actor, correlation_id=correlation_id)
        update.emit(
            MemberNeedsRecorded(
                case_id=case_id,
                member_id=member_id,
                area=case["area"],
                categories=checked.categories,
                consent=checked.consent,
                language=checked.language,
                interpreter=checked.interpreter,
            )
        )
        new_version = await update.save()
        await uow.commit()
    return new_version


async def member_of(uow: UnitOfWork, member_id: str | None, family: list[str]) -> dict[str, Any] | None:
    """The household member ``member_id`` of the case (``family``: it and the cases merged
    into it), None when no member is named; a member of another case is a 422 on ``member_id``."""
    if member_id is None:
        return None
    member = await MemberNeedsRepository(uow.db).member(member_id, family)
    if member is None:
        raise InvalidInput("この世帯員はこのケースにいません。", field="member_id")
    return member
