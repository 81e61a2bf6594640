"""The same service on SQLite, as `make run` starts it (API role: no broker needed)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from kamkor_common.events.schemas.referral import BedHoldRequested
from kamkor_common.reference.partners import SHELTERS
from kamkor_common.testing import dev_token, running_app
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.holds import service as holds_service
from kamkor_shelter.main import create_app


class TestCreateAppOnSqlite:
    async def test_migrates_seeds_and_holds_without_overbooking(self, tmp_path):
        settings = ShelterSettings(
            DATABASE_URL=f"sqlite:///{tmp_path}/shelter.db",
            ROLE="api",
            SEED_REFERENCE_DATA=True,
            ENVIRONMENT="test",
        )
        app = create_app(settings)
        headers = {"Authorization": f"Bearer {dev_token('admin')}"}
        jalal_abad = SHELTERS[2]
        async with running_app(app) as client:
            arrived = await client.post(
                f"/api/v1/shelters/{jalal_abad.id}/stays",
                json={"category": "child", "beds": 2},
                headers=headers,
            )
            assert arrived.status_code == 201, arrived.text
            database = app.state.database

            async def place() -> bool:
                async with database.sessionmaker() as session, session.begin():
                    outcome = await holds_service.request_hold(
                        session=session,
                        request=BedHoldRequested(
                            referral_id=str(uuid.uuid4()),
                            household_id=str(uuid.uuid4()),
                            shelter_id=jalal_abad.id,
                            category="child",
                        ),
                        ttl=timedelta(hours=24),
                    )
                return outcome.hold is not None

            placed = await asyncio.gather(*(place() for _ in range(5)))
            response = await client.get(f"/api/v1/shelters/{jalal_abad.id}", headers=headers)

        assert placed.count(True) == 2
        child = next(c for c in response.json()["categories"] if c["category"] == "child")
        assert (child["total"], child["occupied"], child["held"], child["available"]) == (
            4,
            2,
            2,
            0,
        )
