"""The documented TLS options work against real servers: a rediss:// URL for Redis (the
services' client and FastStream's broker) and sslmode for PostgreSQL (with a password,
which the engine must pass on, not mask)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from shared.db.engine import make_engine
from shared.events import SYSTEM, Envelope
from shared.events.account import AccountCreated
from shared.messaging.broker import make_broker, make_redis
from shared.settings import Settings
from tests.support.servers import PostgresServer, free_port, wait_for_port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost/127.0.0.1 (its own CA) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


async def test_redis_over_tls_with_a_rediss_url(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path / "tls")
    port = free_port()
    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(cert),
            "--tls-key-file",
            str(key),
            "--tls-ca-cert-file",
            str(cert),
            "--tls-auth-clients",
            "no",
            "--requirepass",
            "tls-test-password",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        settings = Settings(
            mode="test", redis_url=f"rediss://:tls-test-password@localhost:{port}/0?ssl_ca_certs={cert}"
        )
        redis = make_redis(settings)
        assert await redis.ping()
        broker = make_broker(settings)
        await broker.connect()
        event = Envelope.wrap(
            AccountCreated(account_id="tls-1", disabled=False, grants=[]),
            aggregate_id="tls-1",
            actor=SYSTEM,
            correlation_id="tls",
        )
        await broker.publish(event, stream="tsunagi.account")
        await broker.stop()
        assert await redis.xlen("tsunagi.account") == 1
        await redis.aclose()
        # A client that does not trust the certificate is refused.
        untrusting = make_redis(settings.model_copy(update={"redis_url": f"rediss://:x@localhost:{port}/0"}))
        with pytest.raises(Exception, match="certificate verify failed|SSL"):
            await untrusting.ping()
        await untrusting.aclose()
    finally:
        server.terminate()
        server.wait(timeout=10)


async def test_postgresql_over_tls_with_sslmode_and_a_password(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path / "pg")
    server.init()
    cert, key = self_signed(server.data)
    if server.as_postgres:
        for path in (cert, key):
            shutil.chown(path, "postgres", "postgres")
    with (server.data / "postgresql.conf").open("a") as conf:
        conf.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
    # TCP only with TLS and a password; the local socket (to set the password) trusted.
    (server.data / "pg_hba.conf").write_text(
        "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
    )
    server.start()
    try:
        server._run([server._bin("psql"), "-h", str(server.folder), "-p", str(server.port), "-U", "postgres",
                     "-c", "ALTER USER postgres PASSWORD 'tls-test-password'"])  # fmt: skip
        base = f"postgresql://postgres:tls-test-password@127.0.0.1:{server.port}/postgres"
        engine = make_engine(Settings(mode="test", database_url=f"{base}?sslmode=require"), "case", pool_size=1)
        try:
            async with engine.connect() as conn:
                encrypted = await conn.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
                assert encrypted.scalar_one() is True
        finally:
            await engine.dispose()
        plain = make_engine(Settings(mode="test", database_url=f"{base}?sslmode=disable"), "case", pool_size=1)
        try:
            with pytest.raises(Exception, match="pg_hba.conf|no encryption"):
                async with plain.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        finally:
            await plain.dispose()
    finally:
        server.remove()
        if os.path.exists(tmp_path / "pg"):
            shutil.rmtree(tmp_path / "pg", ignore_errors=True)
