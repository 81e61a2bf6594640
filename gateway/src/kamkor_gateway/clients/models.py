"""API clients (partner systems) and the audit of every change to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


class ClientStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class ClientRole(StrEnum):
    """What a client's tokens may do: a partner system, or another Kamkor service."""

    PARTNER = "partner"
    SERVICE = "service"


class ApiClient(SQLModel, table=True):
    __tablename__ = "api_clients"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    organization_id: str | None = Field(default=None, max_length=36, index=True)
    status: str = Field(default=ClientStatus.ACTIVE, max_length=20)
    # scrypt hashes (`kamkor_gateway.clients.secrets`); the secret itself is never stored.
    secret_hash: str = Field(max_length=200)
    # The secret before the last rotation, accepted until `previous_expires_at`.
    previous_secret_hash: str | None = Field(default=None, max_length=200)
    previous_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    rotated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class ClientAction(StrEnum):
    CREATED = "created"
    ROTATED = "rotated"
    REVOKED = "revoked"


class ApiClientAudit(SQLModel, table=True):
    """Who created, rotated or revoked which client, and when."""

    __tablename__ = "api_client_audit"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    client_id: str = Field(max_length=36, index=True)
    action: str = Field(max_length=20)
    actor: str = Field(max_length=200)
    actor_role: str = Field(max_length=20)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
