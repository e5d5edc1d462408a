"""docker-compose.yml is checked statically (no Docker engine here): it must run the
production shape with the same settings the code reads."""

from __future__ import annotations

import re

import yaml

from shared.cli.main import parser
from shared.settings import PROJECT_ROOT, SERVICES, Settings

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_redis_is_append_only_and_postgres_present() -> None:
    services = COMPOSE["services"]
    command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in command
    assert services["postgres"]["image"].startswith("postgres:")
    for name in ("redis", "postgres"):
        assert "healthcheck" in services[name]
        assert services[name]["volumes"], f"{name} keeps its data in a volume"


def test_one_container_per_service_with_health_checks() -> None:
    services = COMPOSE["services"]
    for name in SERVICES:
        svc = services[name]
        assert svc["command"][:2] == ["serve", name]
        # The command parses with the real CLI.
        args = parser().parse_args(svc["command"])
        assert args.service == name
        port = Settings().port_of(name)
        assert svc["environment"][f"TSUNAGI_{name.upper()}_PORT"] == str(port)
        assert f"127.0.0.1:{port}/health" in " ".join(svc["healthcheck"]["test"])
        assert re.fullmatch(rf"\$\{{TSUNAGI_{name.upper()}_PUBLISH:-{port}\}}:{port}", svc["ports"][0])
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["redis"]["condition"] == "service_healthy"


def test_environment_names_are_settings_the_code_reads() -> None:
    known = {f"TSUNAGI_{name.upper()}" for name in Settings.model_fields}
    for name, svc in COMPOSE["services"].items():
        for key in svc.get("environment") or {}:
            if key.startswith("TSUNAGI_") and not key.endswith("_PUBLISH"):
                assert key in known, f"{name}: {key} is not a setting"
    env = COMPOSE["services"]["intake"]["environment"]
    assert env["TSUNAGI_MODE"] == "production"
    assert env["TSUNAGI_DATABASE_URL"].startswith("postgresql://")
    assert env["TSUNAGI_SECRET_KEY"].startswith("${TSUNAGI_SECRET_KEY:?"), "production needs a real key"
    assert env["TSUNAGI_MATCH_KEY"].startswith("${TSUNAGI_MATCH_KEY:?"), "production needs a real match key"
    assert env["TSUNAGI_OPERATOR_TOKEN"].startswith("${TSUNAGI_OPERATOR_TOKEN:?"), "/metrics and docs need it"


def test_migrations_run_once_before_the_services() -> None:
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["command"] == ["migrate"]
    parser().parse_args(migrate["command"])


def test_only_the_console_holds_the_signing_key() -> None:
    services = COMPOSE["services"]
    secrets = COMPOSE["secrets"]
    assert set(secrets) == {"console_signing_key", "console_verify_key"}
    for name in SERVICES:
        svc = services[name]
        assert "console_verify_key" in svc["secrets"]
        assert svc["environment"]["TSUNAGI_CONSOLE_VERIFY_KEY_FILE"] == "/run/secrets/console_verify_key"
        holds = "console_signing_key" in svc["secrets"]
        assert holds == (name == "console"), f"{name} must {'' if name == 'console' else 'not '}hold the signing key"
    console = services["console"]["environment"]
    assert console["TSUNAGI_CONSOLE_SIGNING_KEY_FILE"] == "/run/secrets/console_signing_key"
    for backend in SERVICES[1:]:
        assert console[f"TSUNAGI_{backend.upper()}_URL"] == f"http://{backend}:{Settings().port_of(backend)}"


def redis_users(command: list[str]) -> dict[str, list[str]]:
    """The ACL rules of each ``--user`` line of redis-server's command."""
    users: dict[str, list[str]] = {}
    current: list[str] | None = None
    for arg in command:
        if arg.startswith("--"):
            current = [] if arg == "--user" else None
            continue
        if current is not None:
            if not current:
                users[arg] = current
            current.append(arg)
    return {name: rules[1:] for name, rules in users.items()}


def test_redis_has_one_acl_user_per_service_and_each_service_uses_its_own() -> None:
    services = COMPOSE["services"]
    users = redis_users(services["redis"]["command"])
    assert set(users) == {"default", *SERVICES}
    assert users["default"] == ["on", "nopass", "resetchannels", "-@all", "+ping"], "anonymous: PING only"
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    passwords = set()
    for name in SERVICES:
        rules = users[name]
        password = f"${{TSUNAGI_REDIS_{name.upper()}_PASSWORD:?set TSUNAGI_REDIS_{name.upper()}_PASSWORD}}"
        assert rules[0] == "on" and f">{password}" in rules, f"{name}: its own required password"
        assert "nopass" not in rules and "~*" not in rules and "allkeys" not in rules
        assert "~tsunagi*" in rules, f"{name}: Tsunagi's keys only"
        assert rules.index("-@dangerous") > rules.index("+@all"), f"{name}: no dangerous commands"
        passwords.add(password)
        url = services[name]["environment"]["TSUNAGI_REDIS_URL"]
        assert url == f"redis://{name}:${{TSUNAGI_REDIS_{name.upper()}_PASSWORD}}@redis:6379/0"
    assert len(passwords) == len(SERVICES)
    assert "TSUNAGI_REDIS_URL" not in services["migrate"]["environment"], "migrations need no Redis"


def test_production_needs_the_payload_key_ring() -> None:
    env = COMPOSE["services"]["case"]["environment"]
    assert env["TSUNAGI_PAYLOAD_KEYS"].startswith("${TSUNAGI_PAYLOAD_KEYS:?")
