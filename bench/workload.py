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
