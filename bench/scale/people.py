"""Who a drawn consultation is about, and ids of a given moment."""

from __future__ import annotations

import random
from datetime import datetime

from ulid import ULID

from shared.events.consultation import ConsultationSubmitted, HouseholdMember, PersonConcerned

SURNAMES = [
    ("佐藤", "さとう"),
    ("鈴木", "すずき"),
    ("高橋", "たかはし"),
    ("田中", "たなか"),
    ("伊藤", "いとう"),
    ("渡辺", "わたなべ"),
    ("山本", "やまもと"),
    ("中村", "なかむら"),
    ("小林", "こばやし"),
    ("加藤", "かとう"),
]
GIVEN = [
    ("花子", "はなこ"),
    ("太郎", "たろう"),
    ("一郎", "いちろう"),
    ("幸子", "さちこ"),
    ("健", "けん"),
    ("美咲", "みさき"),
    ("翔", "しょう"),
    ("和子", "かずこ"),
    ("茂", "しげる"),
    ("陽菜", "ひな"),
]
RELATIONS = ["配偶者", "子", "父", "母", "孫"]


def ulid_at(at: datetime, rng: random.Random) -> str:
    """A ULID of that millisecond (ids sort by time, as ``new_event_id`` makes them)."""
    millis = int(at.timestamp() * 1000)
    return str(ULID.from_int((millis << 80) | rng.getrandbits(80)))


def consultation(
    rng: random.Random, at: datetime, districts: list[str], categories: list[str], reporters: list[str]
) -> ConsultationSubmitted:
    """A consultation as intake would have accepted it, its person drawn from a small pool of names."""
    surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
    consultation_id = ulid_at(at, rng)
    return ConsultationSubmitted(
        consultation_id=consultation_id,
        reference=f"TSN-{at:%y%m%d}-{consultation_id[-6:]}",
        reporter_id=rng.choice(reporters),
        reporter_role=rng.choice(["民生委員", "学校", "自治会", "医療機関"]),
        channel="web",
        school_district=rng.choice(districts),
        categories=rng.sample(categories, rng.choice([1, 1, 2])),
        urgency=rng.choices(["緊急", "高", "通常"], [5, 25, 70])[0],
        consent=rng.choice(["同意あり", "同意なし", "未確認"]),
        person=PersonConcerned(
            name=f"{surname[0]} {given[0]}",
            name_kana=f"{surname[1]} {given[1]}",
            age_group=rng.choice(["10代", "30代", "50代", "70代", "80代以上"]),
            approximate_place=f"{rng.randint(1, 6)}丁目付近",
        ),
        household=[HouseholdMember(relation=rng.choice(RELATIONS), age_group="50代") for _ in range(rng.randint(0, 2))],
        noticed="最近姿を見かけない。郵便物がたまっている。",
    )
