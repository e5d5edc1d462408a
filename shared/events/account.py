"""account.* and session.* — published by the console, applied by every service.

Each ``account.*`` event carries the account's whole access state after the change
(its grants and whether it is disabled), so a service keeps the state of the latest
event it has seen (event ids sort by time) whatever order they arrive in. No names:
an account is known to the services by its id only."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from shared.events.envelope import EventPayload


class AccountGrant(BaseModel):
    """What a person may act as: a role and its scope (an area, an agency id, the
    reporter's own id, ``city``)."""

    model_config = ConfigDict(frozen=True)

    role: str
    scope: str
    # A community helper's kind (ほっとネット推進員, 民生委員・児童委員, …): the registry of helpers by area.
    kind: str | None = None


class AccountState(EventPayload):
    """An account's whole access state after the change."""

    AGGREGATE: ClassVar[str] = "account"
    PUBLISHER: ClassVar[str] = "console"

    account_id: str
    disabled: bool
    grants: list[AccountGrant]


class AccountCreated(AccountState):
    """An account was created."""

    TYPE: ClassVar[str] = "account.created"


class AccountGrantsChanged(AccountState):
    """A grant was given or taken away (or moved, e.g. to another area)."""

    TYPE: ClassVar[str] = "account.grants_changed"


class AccountDisabled(AccountState):
    """An account was disabled: its sessions end and its tokens are refused."""

    TYPE: ClassVar[str] = "account.disabled"


class AccountEnabled(AccountState):
    """A disabled account was enabled again."""

    TYPE: ClassVar[str] = "account.enabled"


SessionEndReason = Literal["signed_out", "idle", "disabled", "grants_changed", "password_reset", "expired"]


class SessionEnded(EventPayload):
    """A console session ended: every token naming it (``sid``) is refused from now on.
    ``valid_until`` is when the last token of the session would have expired anyway, so
    services can forget the session after it."""

    TYPE: ClassVar[str] = "session.ended"
    AGGREGATE: ClassVar[str] = "session"
    PUBLISHER: ClassVar[str] = "console"

    session_id: str
    account_id: str
    reason: SessionEndReason
    valid_until: datetime
