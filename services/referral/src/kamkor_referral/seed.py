"""Reference data the referral service loads at start when asked to (make run, tests)."""

from __future__ import annotations

from kamkor_common.db import Database
from kamkor_common.reference.partners import ORGANIZATIONS
from kamkor_referral.directory import service as directory_service


async def seed(database: Database) -> None:
    """Load the reference partner directory. Shelter availability comes only from events."""
    async with database.sessionmaker() as session, session.begin():
        await directory_service.seed_directory(session=session, organizations=ORGANIZATIONS)
