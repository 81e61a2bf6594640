"""Seeding the reference directory is safe to repeat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kamkor_common.reference.partners import ORGANIZATIONS
from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.seed import seed


async def counts(referral: Any) -> tuple[int, int, int]:
    async with referral.database.sessionmaker() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Organization)) or 0),
            int(await session.scalar(select(func.count()).select_from(PartnerService)) or 0),
            int(await session.scalar(select(func.count()).select_from(ServiceArea)) or 0),
        )


class TestSeed:
    async def test_seeding_again_changes_nothing(self, referral: Any) -> None:
        before = await counts(referral)
        await seed(referral.database)
        assert await counts(referral) == before
        seeded_services = sum(len(o.services) for o in ORGANIZATIONS)
        assert before[1] >= seeded_services

    async def test_every_seeded_service_is_in_the_directory(self, referral: Any) -> None:
        async with referral.database.sessionmaker() as session:
            ids = set(await session.scalars(select(PartnerService.id)))
        assert {s.id for o in ORGANIZATIONS for s in o.services} <= ids
