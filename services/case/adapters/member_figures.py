"""The figures by category count a consultation under its household members' own
categories too (a young carer in an 8050 household counts under ヤングケアラー): each
category once per consultation, whether the consultation or a member carries it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.case.adapters.orm import household_members


async def member_categories(db: AsyncConnection, rows: Any, in_scope: Any) -> Counter[tuple[int, str, str]]:
    """Per month, area and category: the consultations (``rows``, as the figures read them,
    with their case id) counted under a category only their case's members carry."""
    with_needs = select(household_members.c.case_id).where(household_members.c.categories.is_not(None))
    query = select(rows.c.month, rows.c.area, rows.c.case_id, rows.c.categories).where(
        in_scope, rows.c.case_id.in_(with_needs)
    )
    found: Sequence[Any] = (await db.execute(query)).all()
    counted: Counter[tuple[int, str, str]] = Counter()
    if not found:
        return counted
    case_ids = sorted({r.case_id for r in found})
    members = await db.execute(
        select(household_members.c.case_id, cast(household_members.c.categories, Text)).where(
            household_members.c.case_id.in_(case_ids), household_members.c.categories.is_not(None)
        )
    )
    by_case: dict[str, set[str]] = {}
    for case_id, listed in members.all():
        by_case.setdefault(str(case_id), set()).update(json.loads(str(listed)) if listed else [])
    for month, area, case_id, listed in found:
        own = set(json.loads(listed))
        for category in sorted(by_case.get(case_id, set()) - own):
            counted[(int(month), area, category)] += 1
    return counted
