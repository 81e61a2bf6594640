"""The partner network that `make run` seeds: organisations, their services and shelters.

Identifiers are fixed so that the referral service's directory and the shelter service's
shelters name the same organisations. Real deployments load their own directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kamkor_common.reference.regions import REGIONS

COUNTRY = "KG"  # a service area of the whole country


@dataclass(frozen=True, slots=True)
class SeedService:
    id: str
    service_type: str
    name: str
    areas: tuple[str, ...]  # region codes, district codes, or COUNTRY
    languages: tuple[str, ...] = ("ky", "ru")
    open_referral_limit: int | None = None
    sex_eligibility: tuple[str, ...] = ()  # the sexes served; empty means any


@dataclass(frozen=True, slots=True)
class SeedOrganization:
    id: str
    name: str
    type: str  # ngo | crisis_centre | legal_aid | shelter_operator | state_office
    languages: tuple[str, ...]
    services: tuple[SeedService, ...]


@dataclass(frozen=True, slots=True)
class SeedShelter:
    id: str
    organization_id: str
    name: str
    region: str
    district: str
    beds: dict[str, int] = field(default_factory=dict)  # category -> total


MOTHERS_HOME = "0b6f3c1e-6a51-4c55-9a0e-000000000001"
LEGAL_AID = "0b6f3c1e-6a51-4c55-9a0e-000000000002"
SHELTER_OPERATOR = "0b6f3c1e-6a51-4c55-9a0e-000000000003"

ORGANIZATIONS: tuple[SeedOrganization, ...] = (
    SeedOrganization(
        id=MOTHERS_HOME,
        name="Эне үйү — Mother's Home resource centre",
        type="crisis_centre",
        languages=("ky", "ru"),
        services=(
            SeedService(
                "5e7d0000-0000-4000-8000-000000000101",
                "crisis_centre",
                "Mother-and-child crisis centre",
                (COUNTRY,),
                # It takes in mothers with their children: a household with no woman in it
                # is routed elsewhere (docs/decisions/0010-sex-eligibility.md).
                sex_eligibility=("female",),
            ),
            SeedService(
                "5e7d0000-0000-4000-8000-000000000102",
                "psychological_support",
                "Psychological support for mothers",
                (COUNTRY,),
            ),
            SeedService(
                "5e7d0000-0000-4000-8000-000000000103",
                "medical_care",
                "Medical care for mother and newborn",
                (COUNTRY,),
            ),
        ),
    ),
    SeedOrganization(
        id=LEGAL_AID,
        name="Legal aid for families",
        type="legal_aid",
        languages=("ky", "ru", "en"),
        services=(
            SeedService(
                "5e7d0000-0000-4000-8000-000000000201",
                "legal_aid",
                "Legal consultations: housing, benefits, guardianship",
                (COUNTRY,),
                languages=("ky", "ru", "en"),
            ),
        ),
    ),
    SeedOrganization(
        id=SHELTER_OPERATOR,
        name="Family shelters network",
        type="shelter_operator",
        languages=("ky", "ru"),
        services=(
            SeedService(
                "5e7d0000-0000-4000-8000-000000000301",
                "temporary_shelter",
                "Temporary shelter for families",
                (COUNTRY,),
            ),
        ),
    ),
    *(
        SeedOrganization(
            id=f"0b6f3c1e-6a51-4c55-9b0e-{index:012d}",
            name=f"Social benefits office, {region.name.en}",
            type="state_office",
            languages=("ky", "ru"),
            services=(
                SeedService(
                    f"5e7d0000-0000-4000-8001-{index:012d}",
                    "social_benefits",
                    f"Social benefits, {region.name.en}",
                    (region.code,),
                ),
                SeedService(
                    f"5e7d0000-0000-4000-8002-{index:012d}",
                    "employment_support",
                    f"Employment support, {region.name.en}",
                    (region.code,),
                ),
            ),
        )
        for index, region in enumerate(REGIONS, start=1)
    ),
)

SHELTERS: tuple[SeedShelter, ...] = (
    SeedShelter(
        "5be17e00-0000-4000-8000-000000000001",
        SHELTER_OPERATOR,
        "Family shelter, Bishkek",
        "KG-GB",
        "KG-GB-01",
        {"family": 8, "woman": 6},
    ),
    SeedShelter(
        "5be17e00-0000-4000-8000-000000000002",
        SHELTER_OPERATOR,
        "Family shelter, Osh",
        "KG-GO",
        "KG-GO-01",
        {"family": 6, "mother_child": 4},
    ),
    SeedShelter(
        "5be17e00-0000-4000-8000-000000000003",
        SHELTER_OPERATOR,
        "Family shelter, Jalal-Abad",
        "KG-J",
        "KG-J-09",
        {"family": 5, "child": 4},
    ),
    SeedShelter(
        "5be17e00-0000-4000-8000-000000000004",
        MOTHERS_HOME,
        "Эне үйү crisis centre, Bishkek",
        "KG-GB",
        "KG-GB-03",
        {"mother_child": 10},
    ),
)
