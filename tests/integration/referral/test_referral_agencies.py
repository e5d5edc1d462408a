"""The agency directory over HTTP: any signed-in role reads it; no delivery secrets."""

from __future__ import annotations

from tests.support.services import bearer, running_service


async def test_the_directory_lists_agencies_without_secrets(make_settings) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        for role, scope in [("coordinator", "中部"), ("agency", "hc-3"), ("supervisor", "city"), ("reporter", "v")]:
            response = await referral.get("/v1/agencies", headers=bearer(settings, role, scope))
            assert response.status_code == 200, role
        directory = response.json()
        assert directory["sample"] is True
        kinds = {a["kind"] for a in directory["items"]}
        assert {
            "地域包括支援センター",
            "子ども家庭支援センター",
            "保健所",
            "社会福祉法人",
            "NPO",
            "市の担当課",
        } <= kinds
        assert len([a for a in directory["items"] if a["kind"] == "地域包括支援センター"]) == 8
        assert "webhook_url" not in response.text and "example.invalid/" not in response.text
        hc3 = next(a for a in directory["items"] if a["id"] == "hc-3")
        assert hc3["email"] == "sample-hc3@example.invalid" and hc3["has_webhook"] is False
        assert hc3["channels"] == ["in_app", "email"] and hc3["areas"] == ["中部"]
        hc8 = next(a for a in directory["items"] if a["id"] == "hc-8")
        assert hc8["has_webhook"] is True and "webhook" in hc8["channels"]

        seibu = (await referral.get("/v1/agencies?area=西部", headers=bearer(settings, "coordinator", "西部"))).json()
        assert all(not a["areas"] or "西部" in a["areas"] for a in seibu["items"])
        assert "hc-3" not in {a["id"] for a in seibu["items"]} and "hokenjo" in {a["id"] for a in seibu["items"]}

        one = await referral.get("/v1/agencies/hokenjo", headers=bearer(settings, "agency", "hc-3"))
        assert one.status_code == 200 and one.json()["city_wide"] is True
        missing = await referral.get("/v1/agencies/nope", headers=bearer(settings, "agency", "hc-3"))
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]
        assert (await referral.get("/v1/agencies")).status_code == 401


async def test_the_openapi_page_documents_every_move(make_settings) -> None:
    settings = make_settings()
    async with running_service("referral", settings) as referral:
        spec = (await referral.get("/openapi.json")).json()
        paths = set(spec["paths"])
        for action in ("acknowledge", "accept", "decline", "start", "hold", "resume", "complete", "fail", "cancel"):
            assert f"/v1/referrals/{{referral_id}}/{action}" in paths, action
        assert {"/v1/referrals", "/v1/referrals/{referral_id}", "/v1/agencies", "/health"} <= paths
        assert (await referral.get("/health")).json()["service"] == "referral"
