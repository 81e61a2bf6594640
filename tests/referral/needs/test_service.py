"""The flag → needs mapping: data, versioned, and applied per severity."""

from __future__ import annotations

import pytest

from kamkor_common.events.schemas.risk import DomainFinding, FamilyFlagged
from kamkor_referral.needs.service import load_mapping, needs_for, shelter_category

MAPPING = load_mapping("2026.1")


def flagged(*findings: tuple[str, str, str | None]) -> FamilyFlagged:
    return FamilyFlagged(
        screening_id="s1",
        household_id="h1",
        region="KG-J",
        district="KG-J-06",
        language="ky",
        children_ages=[3],
        rule_set_version="test",
        domains=[
            DomainFinding(domain=d, score=70, severity=s, reasons=["r"], flag_id=f)
            for d, s, f in findings
        ],
    )


def needed(event: FamilyFlagged) -> dict[str, str]:
    return {n.service_type: n.priority for n in needs_for(flagged=event, mapping=MAPPING)}


class TestLoadMapping:
    def test_the_2026_1_mapping_is_the_design_mapping(self) -> None:
        rules = {
            domain: sorted(r.service_type for r in found)
            for domain, found in MAPPING.domains.items()
        }
        assert rules == {
            "housing": ["legal_aid", "temporary_shelter"],
            "financial": ["employment_support", "social_benefits"],
            "psychosocial": ["psychological_support"],
            "maternal_newborn": ["crisis_centre", "medical_care"],
            "child_protection": ["child_protection", "legal_aid"],
            "caregiving": ["home_care_support"],
        }
        assert dict(MAPPING.severity_priority) == {
            "critical": "stat",
            "high": "urgent",
            "medium": "routine",
        }

    def test_an_unknown_version_is_refused(self) -> None:
        with pytest.raises(LookupError):
            load_mapping("1999.9")


class TestNeedsFor:
    def test_critical_housing_needs_shelter_and_legal_aid_at_stat(self) -> None:
        assert needed(flagged(("housing", "critical", "f1"))) == {
            "temporary_shelter": "stat",
            "legal_aid": "stat",
        }

    def test_shelter_only_from_high_housing(self) -> None:
        assert needed(flagged(("housing", "high", "f1"))) == {
            "temporary_shelter": "urgent",
            "legal_aid": "urgent",
        }
        assert needed(flagged(("housing", "medium", "f1"))) == {"legal_aid": "routine"}

    def test_low_and_none_need_nothing(self) -> None:
        assert needed(flagged(("financial", "low", None), ("caregiving", "none", None))) == {}

    def test_one_need_per_type_at_the_highest_priority(self) -> None:
        event = flagged(("housing", "medium", "f1"), ("child_protection", "high", "f2"))
        needs = {n.service_type: n for n in needs_for(flagged=event, mapping=MAPPING)}
        assert set(needs) == {"legal_aid", "child_protection"}
        assert needs["legal_aid"].priority == "urgent"
        assert needs["legal_aid"].flag_ids == ["f1", "f2"]
        assert len(needs["legal_aid"].reasons) == 2
        assert "needs mapping 2026.1" in needs["legal_aid"].reasons[0]


class TestShelterCategory:
    def test_shelter_types_name_their_bed_category(self) -> None:
        assert shelter_category(service_type="temporary_shelter", mapping=MAPPING) == "family"
        assert shelter_category(service_type="crisis_centre", mapping=MAPPING) == "mother_child"
        assert shelter_category(service_type="legal_aid", mapping=MAPPING) is None
