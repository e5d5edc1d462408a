"""Issue 19, item 2: plausible data at intake and referral (shared/plausible.py) — a
whitespace-only "what was noticed" and an age group 999代 are refused with a 422 naming
the field, in Japanese, and raise nothing; the age groups come from the reference data."""

from __future__ import annotations

import json

from shared.settings import PROJECT_ROOT
from tests.support.services import bearer, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))


def _errors(answer) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    # A schema's refusal is located in the body ("body", "noticed"); a handler's names the field.
    locs = [(e["loc"][1:] if e["loc"][0] == "body" else e["loc"], e["msg"]) for e in answer.json()["errors"]]
    return {".".join(str(p) for p in loc): msg for loc, msg in locs}


async def test_implausible_consultations_are_refused(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")

        blank = await intake.post("/v1/consultations", json={**EXAMPLE, "noticed": " \u3000\n\t"}, headers=reporter)
        assert _errors(blank)["noticed"].startswith("空白だけでは")
        assert "noticed" in blank.json()["detail"]

        person = {**EXAMPLE["person"], "age_group": "999代"}
        odd = await intake.post("/v1/consultations", json={**EXAMPLE, "person": person}, headers=reporter)
        assert "999代" in _errors(odd)["person.age_group"] and "80代" in odd.json()["detail"]

        household = [EXAMPLE["household"][0], {"relation": "長男", "age_group": "50才"}]
        member = await intake.post("/v1/consultations", json={**EXAMPLE, "household": household}, headers=reporter)
        assert "household.1.age_group" in _errors(member)

        blank_relation = [{"relation": "  "}]
        relation = await intake.post(
            "/v1/consultations", json={**EXAMPLE, "household": blank_relation}, headers=reporter
        )
        assert "household.0.relation" in _errors(relation)

        # Optional text is left out, not sent as blanks.
        blanks = {
            **EXAMPLE,
            "person": {**EXAMPLE["person"], "approximate_place": "  "},
            "household": [{"relation": "本人", "note": "\u3000"}],
            "legal_ground": " ",
        }
        optional = _errors(await intake.post("/v1/consultations", json=blanks, headers=reporter))
        assert {"person.approximate_place", "household.0.note", "legal_ground"} <= optional.keys()

        mine = (await intake.get("/v1/consultations", headers=reporter)).json()
        assert mine["total"] == 0  # nothing was raised

        options = (await intake.get("/v1/options")).json()
        assert [a["id"] for a in options["age_groups"]][:3] == ["乳幼児", "10歳未満", "10代"]
        for age in options["age_groups"]:
            person = {**EXAMPLE["person"], "age_group": age["id"]}
            assert (
                await intake.post("/v1/consultations", json={**EXAMPLE, "person": person}, headers=reporter)
            ).status_code == 201


async def test_a_referral_move_needs_a_reason_that_is_more_than_blanks(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        agency = bearer(settings, "agency", "hc-3")
        blank = await referral.post(
            "/v1/referrals/01JDZ0000000000000000000AA/decline", json={"version": 1, "reason": "   "}, headers=agency
        )
        assert _errors(blank)["reason"].startswith("空白だけでは")
        optional = await referral.post(
            "/v1/referrals/01JDZ0000000000000000000AA/accept", json={"version": 1, "note": " "}, headers=agency
        )
        assert "note" in _errors(optional)
