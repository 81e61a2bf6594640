"""The users of the embedded issuer: one per kind of person who works with Kamkor.

They exist for local runs and demonstrations only; production users come from the
ministry's identity provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from kamkor_common.reference.partners import LEGAL_AID, MOTHERS_HOME, SHELTER_OPERATOR


@dataclass(frozen=True, slots=True)
class DevUser:
    name: str
    role: str
    description: str
    organization_id: str | None = None
    region: str | None = None
    districts: tuple[str, ...] = ()


DEV_USERS: tuple[DevUser, ...] = (
    DevUser(
        "aigul",
        "social_worker",
        "Social worker, Jalal-Abad City and Suzak District",
        region="KG-J",
        districts=("KG-J-09", "KG-J-06"),
    ),
    DevUser("bakyt", "supervisor", "Supervisor of the Jalal-Abad Region", region="KG-J"),
    DevUser(
        "mothers-home",
        "partner",
        "Partner: Эне үйү — Mother's Home resource centre",
        organization_id=MOTHERS_HOME,
    ),
    DevUser("legal-aid", "partner", "Partner: Legal aid for families", organization_id=LEGAL_AID),
    DevUser(
        "shelters",
        "partner",
        "Partner: Family shelters network (the shelter operator)",
        organization_id=SHELTER_OPERATOR,
    ),
    DevUser(
        "shelter-staff",
        "shelter_staff",
        "Shelter staff of the Family shelters network",
        organization_id=SHELTER_OPERATOR,
    ),
    DevUser("analyst", "analyst", "Analyst (aggregates only)"),
    DevUser("admin", "admin", "Administrator"),
    DevUser("auditor", "auditor", "Auditor (reads the audit trail)"),
    DevUser(
        "referral-service",
        "service",
        "The referral service, reading a family's contact details for an accepted partner",
    ),
)

DEV_USERS_BY_NAME: dict[str, DevUser] = {user.name: user for user in DEV_USERS}
