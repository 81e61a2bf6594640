"""Two home-care partners in Talas and a referral to them, for the partner API tests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.reference.partners import SeedOrganization, SeedService
from kamkor_referral.directory.service import seed_directory

# Two home-care partners in Talas that nothing else in the suite uses: one for a district,
# one for the whole region. Nobody in the reference network offers home care.
DISTRICT_ORG = "7e570000-0000-4000-8000-00000000d001"
REGION_ORG = "7e570000-0000-4000-8000-00000000d002"
TALAS_HOME_CARE = (
    SeedOrganization(
        id=DISTRICT_ORG,
        name="Bakai-Ata home care",
        type="ngo",
        languages=("ky",),
        services=(
            SeedService(
                "7e570000-0000-4000-8000-00000000e001",
                "home_care_support",
                "Home care, Bakai-Ata",
                ("KG-T-01",),
            ),
        ),
    ),
    SeedOrganization(
        id=REGION_ORG,
        name="Talas home care",
        type="ngo",
        languages=("ky", "ru"),
        services=(
            SeedService(
                "7e570000-0000-4000-8000-00000000e002",
                "home_care_support",
                "Home care, Talas region",
                ("KG-T",),
            ),
        ),
    ),
)


@pytest.fixture(scope="session")
async def talas(referral: Any) -> Any:
    async with referral.database.sessionmaker() as session, session.begin():
        await seed_directory(session=session, organizations=TALAS_HOME_CARE)
    return referral


async def home_care_referral(referral: Any) -> dict[str, Any]:
    """A caregiving flag in Bakai-Ata: an urgent home-care referral to the district partner."""
    household_id = str(uuid.uuid4())
    await referral.flag(household_id, ("caregiving", "high"), region="KG-T", district="KG-T-01")
    found = await referral.wait_for_referrals(
        household_id, lambda f: f.get("home_care_support", {}).get("status") == "requested"
    )
    return dict(found["home_care_support"])


def partner(referral: Any, organization_id: str | None) -> dict[str, str]:
    return referral.token("partner", organization_id=organization_id)


def mentions(events: list[CloudEvent], text: str) -> bool:
    """Whether any of the events carries the text anywhere in its serialised form."""
    return any(text in event.to_bytes().decode() for event in events)
