"""What admins send and read about API clients, and the token endpoint's answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kamkor_common.inputs import PLAIN_TEXT_PATTERN
from kamkor_common.pagination import Page
from kamkor_gateway.clients.models import ClientRole, ClientStatus

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
# A rotated secret may stay valid for up to a week while the partner deploys the new one.
MAX_GRACE_S = 7 * 24 * 3600


class ApiClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=PLAIN_TEXT_PATTERN)]
    role: ClientRole = ClientRole.PARTNER
    organization_id: Annotated[str | None, Field(pattern=UUID_PATTERN)] = None

    @model_validator(mode="after")
    def _organisation(self) -> ApiClientCreate:
        if self.role == ClientRole.PARTNER and self.organization_id is None:
            raise ValueError("a partner client needs the organisation it speaks for")
        if self.role == ClientRole.SERVICE and self.organization_id is not None:
            raise ValueError("a service client speaks for no organisation")
        return self


class ApiClientRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Seconds the old secret keeps working; 0 (the default) stops it at once.
    grace_s: Annotated[int, Field(ge=0, le=MAX_GRACE_S)] = 0


class ApiClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: ClientRole
    organization_id: str | None
    status: ClientStatus
    created_by: str
    created_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None
    previous_expires_at: datetime | None


class ApiClientSecret(ApiClientRead):
    """A client with its secret: answered once, on creation and on rotation."""

    client_secret: str


class ApiClientList(Page[ApiClientRead]):
    pass


class TokenResponse(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class OAuthError(BaseModel):
    """RFC 6749 §5.2."""

    error: Literal["invalid_request", "invalid_client", "unsupported_grant_type"]
    error_description: str
