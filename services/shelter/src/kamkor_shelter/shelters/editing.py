"""Staff edits of shelters: registration, details and bed counts, at the version read."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.errors import Conflict, KamkorError, Unprocessable
from kamkor_common.reference.regions import is_valid_location
from kamkor_shelter.holds import repository as holds_repository
from kamkor_shelter.shelters import repository
from kamkor_shelter.shelters.models import Shelter, ShelterCategory
from kamkor_shelter.shelters.schemas import (
    CategoryRead,
    CategoryUpdate,
    ShelterCreate,
    ShelterUpdate,
)
from kamkor_shelter.shelters.service import (
    CapacityConflict,
    NotShelterOperator,
    ensure_operator,
    ensure_operator_of,
    free_beds,
    lock_or_404,
    stage_snapshot,
    touch,
)
from kamkor_shelter.stays import repository as stays_repository


class ShelterExists(Conflict):
    code, title = "shelter_exists", "A shelter with this id exists"


class InvalidCounts(Unprocessable):
    code, title = "invalid_counts", "Out of service beds cannot exceed the total"


class InvalidLocation(Unprocessable):
    code, title = "invalid_location", "The district is not in the region"


class PreconditionFailed(KamkorError):
    status, code, title = 412, "version_mismatch", "The shelter has changed since it was read"


class PreconditionRequired(KamkorError):
    status, code, title = 428, "if_match_required", "Send If-Match with the shelter's ETag"


def etag(version: int) -> str:
    """The ETag of a shelter version, as served and as If-Match must repeat it."""
    return f'"{version}"'


def check_version(shelter: Shelter, if_match: str | None, *, required: bool) -> None:
    """412 unless If-Match names the shelter's current version; 428 when required and absent."""
    if if_match is None:
        if required:
            raise PreconditionRequired("send If-Match with the ETag of the shelter you read")
        return
    tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in tags and etag(shelter.version) not in tags:
        raise PreconditionFailed(
            f"shelter {shelter.id} is at version {shelter.version}", version=shelter.version
        )


async def create_shelter(
    *, session: AsyncSession, shelter_in: ShelterCreate, principal: Principal | None = None
) -> Shelter:
    """Register a shelter with its beds and publish its first snapshot (seed: no principal)."""
    if principal is not None:
        ensure_operator_of(principal, shelter_in.organization_id, what="the shelter")
    if shelter_in.id is not None and await repository.get(session, shelter_in.id) is not None:
        raise ShelterExists(f"shelter {shelter_in.id} exists")
    shelter = Shelter(
        id=shelter_in.id or str(uuid.uuid4()),
        organization_id=shelter_in.organization_id,
        name=shelter_in.name,
        region=shelter_in.region,
        district=shelter_in.district,
        confidential_address=shelter_in.confidential_address,
        address=shelter_in.address,
    )
    repository.add(session, shelter)
    await session.flush()
    repository.add(
        session,
        *(
            ShelterCategory(shelter_id=shelter.id, category=category, **counts.model_dump())
            for category, counts in shelter_in.beds.items()
        ),
    )
    await stage_snapshot(session=session, shelter=shelter)
    return shelter


async def _set_counts(
    session: AsyncSession, shelter: Shelter, category: str, counts: dict[str, int]
) -> CategoryRead:
    """Apply counts to a category (new or not) unless fewer beds would be left than taken."""
    row = await repository.lock_category(session, shelter_id=shelter.id, category=category)
    if row is None:
        # A category offered for the first time; nobody else can create it meanwhile, as
        # every writer of this shelter waits for its lock.
        row = ShelterCategory(shelter_id=shelter.id, category=category)
        repository.add(session, row)
    for field, value in counts.items():
        setattr(row, field, value)
    if row.out_of_service > row.total:
        raise InvalidCounts(
            f"{category}: {row.out_of_service} out of service exceeds the total of {row.total}",
            category=category,
        )
    key = (shelter.id, category)
    taken = (await holds_repository.held_beds(session, [shelter.id])).get(key, 0)
    present = (await stays_repository.occupied_beds(session, [shelter.id])).get(key, 0)
    if row.total - row.out_of_service - present - taken < 0:
        raise CapacityConflict(
            f"{category}: {row.total} beds cannot cover {row.out_of_service} out of service, "
            f"{present} occupied and {taken} held",
            category=category,
            held=taken,
            occupied=present,
        )
    return CategoryRead(
        category=row.category,
        total=row.total,
        out_of_service=row.out_of_service,
        occupied=present,
        held=taken,
        available=free_beds(row, held=taken, occupied=present),
    )


async def update_shelter(
    *,
    session: AsyncSession,
    shelter_id: str,
    shelter_in: ShelterUpdate,
    if_match: str | None,
    principal: Principal,
) -> Shelter:
    """Edit a shelter at the version the editor read; beds sent are checked as counts are.

    Only an admin may hand a shelter to another operator organisation.
    """
    shelter = await lock_or_404(session=session, shelter_id=shelter_id)
    ensure_operator(principal, shelter)
    check_version(shelter, if_match, required=True)
    changes = shelter_in.model_dump(exclude_unset=True, exclude={"beds"})
    handed_over = changes.get("organization_id", shelter.organization_id) != shelter.organization_id
    if handed_over and principal.role != "admin":
        raise NotShelterOperator("only an admin may change a shelter's operator")
    region = changes.get("region", shelter.region)
    district = changes.get("district", shelter.district)
    if not is_valid_location(region, district):
        raise InvalidLocation(f"district {district} is not in region {region}")
    for field, value in changes.items():
        setattr(shelter, field, value)
    beds = shelter_in.beds or {}
    for category, counts in beds.items():
        await _set_counts(session, shelter, category, counts.model_dump(exclude_unset=True))
    if beds:
        touch(shelter)
    shelter.version += 1
    await stage_snapshot(session=session, shelter=shelter)
    return shelter


async def update_category(
    *,
    session: AsyncSession,
    shelter_id: str,
    category: str,
    counts_in: CategoryUpdate,
    if_match: str | None,
    principal: Principal,
) -> tuple[CategoryRead, int]:
    """Set a category's counts (creating it if new) and publish the shelter's snapshot.

    The shelter stays locked while holds and stays are counted, so a hold placed at the
    same moment cannot slip in between and leave the shelter overbooked. Answers the
    category and the shelter's new version.
    """
    shelter = await lock_or_404(session=session, shelter_id=shelter_id)
    ensure_operator(principal, shelter)
    check_version(shelter, if_match, required=False)
    result = await _set_counts(session, shelter, category, counts_in.model_dump(exclude_unset=True))
    touch(shelter)
    shelter.version += 1
    await stage_snapshot(session=session, shelter=shelter)
    return result, shelter.version
