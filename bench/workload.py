"""What the load generator sends: consultations shaped like ``examples/consultation.json``,
spread over the 20 school districts (so over the four areas), each about a different
person (unique name, place and household), so every one opens a case of its own
instead of being linked to an earlier one."""

from __future__ import annotations

import copy
import json
import uuid
from functools import lru_cache

from shared.identity import issue_token
from shared.settings import PROJECT_ROOT, Settings

DISTRICTS = [f"SD{i:02d}" for i in range(1, 21)]
URGENCIES = ["通常"] * 16 + ["高"] * 3 + ["緊急"]  # mostly routine, as in a flood of reports
REPORTERS = 10
COORDINATOR_OF_AREA = {"北東部": "csw-hokutou-1", "中部": "csw-chubu-1", "西部": "csw-seibu-1", "南部": "csw-nanbu-1"}


@lru_cache
def example() -> dict:
    return json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


def consultation(run: str, i: int) -> dict:
    body = copy.deepcopy(example())
    body["school_district"] = DISTRICTS[i % len(DISTRICTS)]
    body["urgency"] = URGENCIES[i % len(URGENCIES)]
    body["person"] = {
        "name": f"ベンチ 対象者{run}-{i}",
        "age_group": "80代",
        "approximate_place": f"サンプル町{i}丁目{run}付近",
    }
    body["household"] = [
        {"relation": "本人", "age_group": "80代"},
        {"relation": f"同居者{run}-{i}", "age_group": "50代"},
    ]
    body["noticed"] = f"サンプル(ベンチマーク {run} #{i}): 新聞がたまっている。"
    body["sample"] = True
    return body


def consultations(n: int) -> list[dict]:
    run = uuid.uuid4().hex[:6]
    return [consultation(run, i) for i in range(n)]


def reporter_tokens(settings: Settings) -> list[str]:
    return [
        issue_token(settings, role="reporter", scope=f"bench-vol-{k}", subject=f"bench-vol-{k}")
        for k in range(REPORTERS)
    ]


# The realistic mix (``realistic``): what the same-person rules meet in a real district.
# Make-ups as reports of older people describe them (alone, a couple, 8050, …), ages
# skewed old, a third of the people named (from a small pool, so names do recur), six
# chōme a district written four ways or left out, and one report in ten about someone
# already reported (the same facts, named or not).
MAKE_UPS = [
    (45, [("本人", None)]),
    (25, [("本人", None), ("配偶者", "same")]),
    (15, [("本人", None), ("長男", "50代")]),
    (10, [("本人", None), ("長女", "50代")]),
    (5, [("本人", None), ("長男", "50代"), ("孫", "20代")]),
]
AGES = [(10, "60代"), (30, "70代"), (40, "80代"), (15, "90代"), (5, "50代")]
SURNAMES = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水".split()
GIVEN = "花子 太郎 一郎 和子 幸子 節子 正 茂 清 弘 洋子 京子 美代子 久子 勇 進 博 明 トミ 千代".split()
PLACE_FORMS = ["{}丁目付近", "{}丁目", "{}丁目のアパート", "{}丁目の団地"]


def _pick(rng, weighted: list) -> object:
    return rng.choices([v for _w, v in weighted], weights=[w for w, _v in weighted])[0]


def realistic_consultations(n: int, seed: int = 22) -> list[dict]:
    import random

    rng = random.Random(seed)
    run = uuid.uuid4().hex[:4]
    people: list[dict] = []
    bodies = []
    for i in range(n):
        if people and rng.random() < 0.1:
            person = rng.choice(people)
            named = person["name"] if rng.random() < 0.5 else None
        else:
            district = rng.choice(DISTRICTS)
            age = str(_pick(rng, AGES))
            chome = rng.randint(1, 6)
            place = None if rng.random() < 0.15 else rng.choice(PLACE_FORMS).format(f"サンプル{run}{district}町{chome}")
            make_up = _pick(rng, MAKE_UPS)
            household = [
                {"relation": r, "age_group": age if a in (None, "same") else a}
                for r, a in make_up  # type: ignore[union-attr]
            ]
            name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}" if rng.random() < 0.35 else None
            person = {"district": district, "age": age, "place": place, "household": household, "name": name}
            people.append(person)
            named = name
        body = copy.deepcopy(example())
        body["school_district"] = person["district"]
        body["urgency"] = URGENCIES[i % len(URGENCIES)]
        body["person"] = {"name": named, "age_group": person["age"], "approximate_place": person["place"]}
        body["household"] = copy.deepcopy(person["household"])
        body["noticed"] = f"サンプル(ベンチマーク {run} 現実的な組み合わせ #{i})"
        body["sample"] = True
        bodies.append(body)
    return bodies
