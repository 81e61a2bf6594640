"""Reference shelters for `make run`: the partner network's shelters and their beds."""

from __future__ import annotations

import logging

from kamkor_common.db import Database
from kamkor_common.reference.partners import SHELTERS
from kamkor_shelter.shelters import editing, service
from kamkor_shelter.shelters.schemas import ShelterCreate

log = logging.getLogger("kamkor.shelter.seed")


async def seed(database: Database) -> None:
    """Create the reference shelters that do not exist yet, each with its first snapshot."""
    created = 0
    async with database.sessionmaker() as session, session.begin():
        for reference in SHELTERS:
            if await service.find(session=session, shelter_id=reference.id) is not None:
                continue
            shelter_in = ShelterCreate(
                id=reference.id,
                organization_id=reference.organization_id,
                name=reference.name,
                region=reference.region,
                district=reference.district,
                beds=reference.beds,
            )
            await editing.create_shelter(session=session, shelter_in=shelter_in)
            created += 1
    log.info("seeded %d reference shelters", created)
