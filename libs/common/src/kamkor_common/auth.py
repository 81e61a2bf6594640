"""Bearer JWT verification and the principal (role, organisation, region) of a request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, Literal, Protocol, get_args

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from kamkor_common.errors import Forbidden, HeaderTooLarge, Unauthorized
from kamkor_common.inputs import MAX_AUTHORIZATION_BYTES, PLAIN_TEXT_PATTERN

# `service`: another Kamkor service reading at a person's request (DESIGN §1), e.g. the
# referral service fetching a family's contact details for a partner it has checked.
Role = Literal[
    "social_worker",
    "supervisor",
    "partner",
    "shelter_staff",
    "analyst",
    "admin",
    "auditor",
    "service",
]
ROLES: tuple[str, ...] = get_args(Role)
ALGORITHM = "HS256"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "The bearer token is not valid"


# Claims come from outside: a value of the wrong type is a bad token, never a crash.
ClaimText = Annotated[StrictStr, Field(min_length=1, max_length=200, pattern=PLAIN_TEXT_PATTERN)]


class TokenClaims(BaseModel):
    """The claims Kamkor reads from a verified token, each of its one allowed type."""

    model_config = ConfigDict(extra="ignore")

    sub: ClaimText
    role: Role
    org: ClaimText | None = None
    region: ClaimText | None = None
    districts: Annotated[list[ClaimText], Field(max_length=100)] = []


class ScopeMissing(Forbidden):
    code = "scope_missing"
    title = "The token does not say where its holder works"


class PlaceScope(BaseModel):
    """Where a principal may see families' records: everywhere, one region, or districts."""

    everywhere: bool = False
    region: str | None = None
    districts: tuple[str, ...] = ()

    def allows(self, region: str, district: str) -> bool:
        if self.everywhere:
            return True
        if region != self.region:
            return False
        return not self.districts or district in self.districts


class Principal(BaseModel):
    subject: str
    role: Role
    organization_id: str | None = None
    region: str | None = None
    districts: list[str] = []

    def place_scope(self) -> PlaceScope:
        """The places whose families this principal may see (DESIGN §8); fails closed.

        Admins and auditors see everywhere, a supervisor their region, a social worker
        their districts. A token of those roles that lacks the claim is refused rather
        than read as "everywhere". Other roles reach families only through their
        organisation (referrals, shelters), never by place.
        """
        if self.role in ("admin", "auditor"):
            return PlaceScope(everywhere=True)
        if self.role == "supervisor" and self.region:
            return PlaceScope(region=self.region)
        if self.role == "social_worker" and self.region and self.districts:
            return PlaceScope(region=self.region, districts=tuple(self.districts))
        if self.role in ("supervisor", "social_worker"):
            needed = "a region" if self.role == "supervisor" else "a region and districts"
            raise ScopeMissing(f"a {self.role} token must name {needed}")
        raise Forbidden(f"role {self.role} does not see families by place")


class TokenIssuer(Protocol):
    """Signs tokens: the embedded issuer of dev and tests, the gateway's for API clients."""

    def issue(
        self,
        *,
        subject: str,
        role: str,
        organization_id: str | None = None,
        region: str | None = None,
        districts: Iterable[str] = (),
        ttl_s: int = 8 * 3600,
        extra: dict[str, Any] | None = None,
    ) -> str: ...


class TokenVerifier:
    """Checks signature, expiry, issuer and audience; one algorithm family per key."""

    def __init__(self, *, secret: str, issuer: str, audience: str) -> None:
        self.secret, self.issuer, self.audience = secret, issuer, audience

    def issue(
        self,
        *,
        subject: str,
        role: str,
        organization_id: str | None = None,
        region: str | None = None,
        districts: Iterable[str] = (),
        ttl_s: int = 8 * 3600,
        extra: dict[str, Any] | None = None,
    ) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        now = int(time.time())
        claims: dict[str, Any] = {
            **(extra or {}),
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_s,
            "jti": str(uuid.uuid4()),
            "role": role,
        }
        if organization_id:
            claims["org"] = organization_id
        if region:
            claims["region"] = region
        if districts:
            claims["districts"] = list(districts)
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        if len(token) > MAX_AUTHORIZATION_BYTES:
            raise HeaderTooLarge(f"a bearer token has at most {MAX_AUTHORIZATION_BYTES} bytes")
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            # PyJWT checks `iss` and `aud` with `in`: a claim of another type is a TypeError.
            raise InvalidToken(f"invalid token: {exc}") from exc
        if claims.get("role") not in ROLES:
            raise InvalidToken("token carries no known role")
        try:
            checked = TokenClaims.model_validate(claims)
        except ValidationError as exc:
            wrong = ", ".join(str(e["loc"][0]) for e in exc.errors())
            raise InvalidToken(f"invalid token: claims of the wrong type or size: {wrong}") from exc
        return Principal(
            subject=checked.sub,
            role=checked.role,
            organization_id=checked.org,
            region=checked.region,
            districts=checked.districts,
        )


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if len(header) > MAX_AUTHORIZATION_BYTES:
        raise HeaderTooLarge(
            f"the Authorization header has at most {MAX_AUTHORIZATION_BYTES} bytes"
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required")
    return token.strip()


async def get_principal(request: Request) -> Principal:
    """The dependency every protected route uses; the verifier lives on app state.

    Dependencies are `async def` though they never wait: FastAPI runs a plain `def`
    dependency in a worker thread, a hop that cost more than the check itself.
    """
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the named roles through (403 for the others)."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role} may not do this")
        return principal

    return _check
