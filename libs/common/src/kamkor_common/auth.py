"""Bearer JWT verification and the principal (role, organisation, region) of a request."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, Literal, Protocol, get_args

import jwt
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from kamkor_common.errors import Forbidden, HeaderTooLarge, ServiceUnavailable, Unauthorized
from kamkor_common.inputs import MAX_AUTHORIZATION_BYTES, PLAIN_TEXT_PATTERN
from kamkor_common.settings import KamkorSettings

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


class KeysUnavailable(ServiceUnavailable):
    code = "keys_unavailable"
    title = "The token issuer's keys could not be fetched"


# Asymmetric algorithms only: a shared secret would let every verifier mint tokens.
ASYMMETRIC_ALGORITHMS = frozenset({"ES256", "ES384", "RS256", "RS384", "RS512", "PS256"})


class IssuerKeys(jwt.PyJWKClient):
    """One issuer's JWKS (PyJWKClient): cached, fetched again on an unknown `kid` at most
    once per `cooldown_s`, so that tokens with made-up key ids cannot hammer the issuer."""

    def __init__(self, url: str, *, cache_s: float = 3600, cooldown_s: float = 30) -> None:
        super().__init__(url, lifespan=cache_s, timeout=5, cooldown_duration=cooldown_s)

    def holds(self, kid: str) -> bool:
        """Whether the cached key set has `kid`, so that no fetch is needed to check it."""
        cached = self.jwk_set_cache.get() if self.jwk_set_cache is not None else None
        return isinstance(cached, jwt.PyJWKSet) and any(k.key_id == kid for k in cached.keys)


class StaticIssuerKeys(IssuerKeys):
    """The same client over a JWKS already in hand (the embedded issuer's, in process)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        # Never fetched: `fetch_data` answers the keys in hand.
        super().__init__("https://embedded-issuer.invalid/jwks.json", cooldown_s=0)
        self._jwks = jwks

    def fetch_data(self) -> Any:
        return self._jwks

    def holds(self, kid: str) -> bool:
        return True  # nothing to fetch: the keys are in hand


class TokenVerifier:
    """Checks signature, expiry, issuer and audience against each trusted issuer's keys.

    The algorithm is pinned per key (EC P-256 keys verify ES256 only, RSA keys RS256):
    `alg: none`, HS256 signed with a public key, or any algorithm outside
    `algorithms` is refused before a key is looked at.
    """

    def __init__(
        self,
        *,
        issuers: dict[str, IssuerKeys],
        audience: str,
        algorithms: Iterable[str] = ("ES256", "RS256"),
    ) -> None:
        self.issuers, self.audience = dict(issuers), audience
        self.algorithms = frozenset(algorithms)
        if not self.algorithms <= ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"only asymmetric algorithms: {sorted(ASYMMETRIC_ALGORITHMS)}")

    def _key(self, token: str) -> tuple[str, jwt.PyJWK]:
        header = jwt.get_unverified_header(token)
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in self.algorithms:
            raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise InvalidToken("the token names no key (kid)")
        # Only to choose the issuer's keys: the claims are verified with them below.
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise InvalidToken("the token's issuer is not trusted")
        try:
            key = self.issuers[issuer].get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            raise KeysUnavailable(f"the keys of {issuer} could not be fetched") from exc
        except jwt.PyJWKClientError as exc:
            raise InvalidToken("unknown signing key") from exc
        if key.algorithm_name != algorithm:
            raise InvalidToken(f"the key {kid} does not sign with {algorithm}")
        return issuer, key

    def needs_fetch(self, token: str) -> bool:
        """Whether checking `token` would fetch its issuer's key set (expired or no `kid`)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            return False
        keys = self.issuers.get(issuer) if isinstance(issuer, str) else None
        return keys is not None and isinstance(kid, str) and not keys.holds(kid)

    async def verify_async(self, token: str) -> Principal:
        """`verify`, off the event loop when it would fetch keys (up to the 5 s timeout)."""
        if len(token) <= MAX_AUTHORIZATION_BYTES and self.needs_fetch(token):
            return await asyncio.to_thread(self.verify, token)
        return self.verify(token)

    def verify(self, token: str) -> Principal:
        if len(token) > MAX_AUTHORIZATION_BYTES:
            raise HeaderTooLarge(f"a bearer token has at most {MAX_AUTHORIZATION_BYTES} bytes")
        try:
            issuer, key = self._key(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=issuer,
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except (jwt.PyJWTError, TypeError, ValueError, KeyError, AttributeError) as exc:
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


def verifier_from_settings(settings: KamkorSettings) -> TokenVerifier:
    """The issuers a process trusts: `JWT_ISSUER` with its JWKS, and `JWT_EXTRA_ISSUERS`.

    Without `JWT_JWKS_URL` (dev and tests only; prod refuses it) the embedded issuer's
    own public keys are used, through the same client as a fetched JWKS.
    """
    from kamkor_common.issuer import EmbeddedIssuer

    primary: IssuerKeys
    if settings.JWT_JWKS_URL:
        primary = IssuerKeys(settings.JWT_JWKS_URL, cooldown_s=settings.JWT_JWKS_COOLDOWN_S)
    else:
        primary = StaticIssuerKeys(EmbeddedIssuer.from_settings(settings).jwks())
    issuers: dict[str, IssuerKeys] = {settings.JWT_ISSUER: primary}
    for issuer, url in settings.JWT_EXTRA_ISSUERS.items():
        issuers[issuer] = IssuerKeys(url, cooldown_s=settings.JWT_JWKS_COOLDOWN_S)
    return TokenVerifier(
        issuers=issuers, audience=settings.JWT_AUDIENCE, algorithms=settings.JWT_ALGORITHMS
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
    return await verifier.verify_async(bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the named roles through (403 for the others)."""

    async def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role} may not do this")
        return principal

    return _check
