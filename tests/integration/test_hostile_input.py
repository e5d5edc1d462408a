"""Issue 19: no input gives a 5xx. Control characters in text, integers beyond 64 bits
and a malformed correlation id are refused (or ignored) the same on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json

import pytest

from shared.settings import PROJECT_ROOT
from tests.support.services import bearer, running_service

EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "consultation.json").read_text(encoding="utf-8"))
HUGE = "99999999999999999999"  # beyond int64: PostgreSQL's parameter overflows


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85"])
async def test_control_characters_in_a_consultation_are_a_422_naming_the_field(
    make_settings, database_backend, bad
) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        body = copy.deepcopy(EXAMPLE)
        body["noticed"] = f"新聞が{bad}たまっている"
        body["person"] = {**body.get("person", {}), "name": f"サンプル{bad}花子"}
        problem = _problem(await intake.post("/v1/consultations", json=body, headers=reporter), 422)
        locs = {tuple(e["loc"]) for e in problem["errors"]}
        assert locs == {("body", "noticed"), ("body", "person", "name")}
        assert all(e["msg"] == "制御文字(NUL など)は使えません" for e in problem["errors"])
        assert "noticed" in problem["detail"]

        # Tab, newline and carriage return are text people type: still accepted, and nothing was lost.
        body["noticed"] = "新聞が\tたまっている\r\n二日分"
        body["person"]["name"] = "サンプル花子"
        created = await intake.post("/v1/consultations", json=body, headers=reporter)
        assert created.status_code == 201, created.text


async def test_control_characters_in_path_or_query_are_a_422(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        reporter = bearer(settings, "reporter", "vol-1")
        problem = _problem(await intake.get("/v1/consultations/TSN-%00", headers=reporter), 422)
        assert problem["errors"][0]["loc"] == ["path"]
        problem = _problem(await intake.get("/v1/consultations?page=1%00", headers=reporter), 422)
        assert problem["errors"][0]["loc"] == ["query", "page"]
        assert (await intake.get("/v1/consultations", headers=reporter)).status_code == 200


async def test_case_commands_refuse_control_characters_and_huge_numbers(make_settings, database_backend) -> None:
    settings = make_settings()
    async with running_service("case", settings) as case:
        coordinator = bearer(settings, "coordinator", "中部", "csw-chubu-1")
        note = await case.post(
            "/v1/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV/notes", json={"version": 1, "body": "a\x00b"}, headers=coordinator
        )
        assert _problem(note, 422)["errors"][0]["loc"] == ["body", "body"]
        huge = await case.post(
            "/v1/cases/01ARZ3NDEKTSV4RRFFQ69G5FAV/notes",
            json={"version": int(HUGE), "body": "メモ"},
            headers=coordinator,
        )
        assert _problem(huge, 422)["errors"][0]["loc"] == ["body", "version"]
        for name in ("min_age_days", "max_age_days", "page", "per_page"):
            queue = await case.get(f"/v1/cases?{name}={HUGE}", headers=coordinator)
            assert _problem(queue, 422)["errors"][0]["loc"] == ["query", name]
        search = await case.get("/v1/cases/search?q=%E8%8A%B1%00", headers=coordinator)
        assert _problem(search, 422)["errors"][0]["loc"] == ["query", "q"]
        assert (await case.get("/v1/cases", headers=coordinator)).status_code == 200


async def test_referral_offsets_beyond_64_bits_are_a_422_and_the_next_request_works(
    make_settings, database_backend
) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        supervisor = bearer(settings, "supervisor", "city", "sv-1")
        for name in ("offset", "limit"):
            _problem(await referral.get(f"/v1/referrals?{name}={HUGE}", headers=supervisor), 422)
        move = await referral.post(
            "/v1/referrals/01ARZ3NDEKTSV4RRFFQ69G5FAV/acknowledge",
            json={"version": int(HUGE)},
            headers=bearer(settings, "agency", "hc-3"),
        )
        assert _problem(move, 422)["errors"][0]["loc"] == ["body", "version"]
        listed = await referral.get("/v1/referrals?offset=1000000", headers=supervisor)
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == []


@pytest.mark.parametrize("header", [b"\xff\xfe", b"caf\xc3\xa9", b"a b", b"x\x01y"])
async def test_a_malformed_correlation_id_is_ignored_not_a_500(make_settings, header) -> None:
    settings = make_settings()
    async with running_service("intake", settings) as intake:
        health = await intake.get("/health", headers=[(b"x-correlation-id", header)])
        assert health.status_code == 200
        replaced = health.headers["x-correlation-id"]
        assert replaced.isascii() and len(replaced) == 32 and replaced.encode() != header
        created = await intake.post(
            "/v1/consultations",
            json=EXAMPLE,
            headers=[(b"x-correlation-id", header), *bearer(settings, "reporter", "vol-1").items()],
        )
        assert created.status_code == 201, created.text
        # A well-formed one is not taken either: the server makes every correlation id.
        other = await intake.get("/health", headers={"x-correlation-id": "req-42"})
        assert other.headers["x-correlation-id"] != "req-42" and len(other.headers["x-correlation-id"]) == 32


async def test_malformed_requests_are_a_4xx_in_japanese(make_settings) -> None:
    settings = make_settings()
    reporter = bearer(settings, "reporter", "vol-1")
    json_body = {**reporter, "content-type": "application/json"}
    async with running_service("intake", settings) as intake:
        for kw, status in (
            ({"content": b'{"a": "\xff"}', "headers": json_body}, 400),  # not UTF-8
            ({"content": b"{not json", "headers": json_body}, 400),
            ({"content": ("[" * 100_000 + "]" * 100_000).encode(), "headers": json_body}, 413),
            ({"json": EXAMPLE, "headers": [*reporter.items(), (b"idempotency-key", b"\xff\xfe")]}, 400),
            ({"json": EXAMPLE, "headers": [(b"authorization", b"Bearer \xff\xfe")]}, 401),
        ):
            problem = _problem(await intake.post("/v1/consultations", **kw), status)
            assert not problem["detail"].isascii(), problem
        for answer in (await intake.get("/v1/nowhere"), await intake.delete("/v1/consultations")):
            problem = _problem(answer, answer.status_code)
            assert answer.status_code in (404, 405) and not problem["detail"].isascii(), problem
