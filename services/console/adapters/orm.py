"""The console's own tables (schema ``console``): accounts and their grants, second
factors, sign-in sessions, failed sign-ins. Nothing of the cases: those stay in the services."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from shared.db.tables import messaging_tables

metadata = MetaData()
messaging = messaging_tables(metadata)


def _at(name: str, nullable: bool = True) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("display_name", String(100), nullable=False),
    # Argon2id (PHC string); never logged, never leaves this table.
    Column("password_hash", String(200), nullable=False),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("sample", Boolean, nullable=False, default=False),
    _at("created_at", False),
    _at("updated_at", False),
    _at("last_sign_in_at"),
    Column("version", Integer, nullable=False, default=1),
    # The TOTP secret, encrypted (adapters/totp.py); set at enrolment, confirmed by a code.
    Column("totp_secret", String(200), nullable=True),
    _at("totp_confirmed_at"),
    # The time step of the last code accepted: the same code is refused a second time.
    Column("totp_last_step", BigInteger, nullable=True),
)

# One-time recovery codes (Argon2id like passwords), shown once at enrolment.
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("code_hash", String(200), nullable=False),
    _at("created_at", False),
    _at("used_at"),
)

grants = Table(
    "grants",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("role", String(20), nullable=False),
    Column("scope", String(64), nullable=False),
    Column("kind", String(40), nullable=True),  # a reporter's kind (reporters.yaml)
    Column("granted_by", String(64), nullable=False),
    _at("granted_at", False),
    UniqueConstraint("account_id", "role", "scope", name="uq_grants_account_role_scope"),
)

sessions = Table(
    "sessions",
    metadata,
    # The public id tokens carry as ``sid``; the cookie holds a secret whose hash is kept.
    Column("id", String(26), primary_key=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("account_id", String(64), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("grant_id", String(26), nullable=True),  # the grant chosen after signing in
    # What the password alone does not open yet: "code" (the second step) or "enrolment".
    Column("awaiting", String(20), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    _at("created_at", False),
    _at("last_active_at", False),
    _at("ended_at"),
    Column("end_reason", String(20), nullable=True),
)

# Failed sign-ins per account id as typed (existing or not): slow-down and lockout.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("login_id", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    _at("last_failed_at", False),
    _at("locked_until"),
)
