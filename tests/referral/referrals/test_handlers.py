"""From a flagged family to routed referrals and bed holds, through the real broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.schemas import shelter
from kamkor_common.events.topics import REFERRAL_REFERRALS, RISK_FLAGS, dlq_topic
from kamkor_common.reference.partners import (
    LEGAL_AID,
    SHELTER_OPERATOR,
    SHELTERS,
    SeedOrganization,
    SeedService,
)
from kamkor_referral.directory.service import seed_directory

OPERATOR_SHELTERS = {s.id for s in SHELTERS if s.organization_id == SHELTER_OPERATOR}
# Partners that only the tests below use, each for one district nothing else in the suite
# flags: a legal-aid office in an Issyk-Kul district, child protection in a Talas district.
DISTRICT_LEGAL_AID = SeedOrganization(
    id="7e570000-0000-4000-8000-00000000a001",
    name="Ton district legal aid",
    type="legal_aid",
    languages=("ky",),
    services=(
        SeedService(
            "7e570000-0000-4000-8000-00000000b001", "legal_aid", "Legal aid, Ton", ("KG-Y-03",)
        ),
    ),
)
TALAS_CHILD_PROTECTION = SeedOrganization(
    id="7e570000-0000-4000-8000-00000000a002",
    name="Talas child protection",
    type="ngo",
    languages=("ky", "ru"),
    services=(
        SeedService(
            "7e570000-0000-4000-8000-00000000b002",
            "child_protection",
            "Child protection, Manas",
            ("KG-T-04",),
        ),
    ),
)


def routed_with_hold(found: dict[str, dict[str, Any]]) -> bool:
    shelter_referral = found.get("temporary_shelter")
    return (
        shelter_referral is not None
        and shelter_referral["status"] == "requested"
        and shelter_referral["hold_status"] == "requested"
        and "legal_aid" in found
    )


def moved_on(found: dict[str, dict[str, Any]]) -> bool:
    """The refused attempt is closed and the referral has a new one, or nobody is left."""
    shelter_referral = found["temporary_shelter"]
    if shelter_referral["status"] == "unassigned":
        return True
    return len(shelter_referral["attempts"]) == 2


async def shelter_referral_for_new_family(referral: Any) -> dict[str, Any]:
    household_id = str(uuid.uuid4())
    await referral.flag(household_id, ("housing", "critical"))
    found = await referral.wait_for_referrals(household_id, routed_with_hold)
    return dict(found["temporary_shelter"])


async def seed(referral: Any, organization: SeedOrganization) -> None:
    async with referral.database.sessionmaker() as session, session.begin():
        await seed_directory(session=session, organizations=(organization,))


async def place_hold(referral: Any, shelter_referral: dict[str, Any]) -> str:
    """The shelter holds the bed; returns the hold id once the referral knows it."""
    hold_id = str(uuid.uuid4())
    await referral.shelter_event(
        shelter.HOLD_PLACED.type,
        shelter_referral["shelter_id"],
        shelter.HoldPlaced(
            hold_id=hold_id,
            referral_id=shelter_referral["id"],
            shelter_id=shelter_referral["shelter_id"],
            category="family",
            expires_at=datetime.now(UTC) + timedelta(hours=24),
        ),
    )
    await referral.wait_for_referrals(
        shelter_referral["household_id"],
        lambda f: f["temporary_shelter"]["hold_status"] == "held",
    )
    return hold_id


async def accept(referral: Any, shelter_referral: dict[str, Any]) -> None:
    response = await referral.client.post(
        f"/partner/v1/referrals/{shelter_referral['id']}/accept",
        headers=referral.token("partner", organization_id=SHELTER_OPERATOR),
    )
    assert response.status_code == 200, response.text


async def release(
    referral: Any, shelter_referral: dict[str, Any], hold_id: str, *, type: str, reason: str
) -> None:
    """The shelter lets the held bed go (`type` is hold released or hold expired)."""
    await referral.shelter_event(
        type,
        shelter_referral["shelter_id"],
        shelter.HoldReleased(
            hold_id=hold_id,
            referral_id=shelter_referral["id"],
            shelter_id=shelter_referral["shelter_id"],
            reason=reason,
        ),
    )


class TestFamilyFlagged:
    async def test_critical_housing_becomes_a_stat_shelter_referral_with_a_bed_hold(
        self, referral: Any
    ) -> None:
        household_id = str(uuid.uuid4())
        flagged = await referral.flag(household_id, ("housing", "critical"))

        found = await referral.wait_for_referrals(household_id, routed_with_hold)
        assert set(found) == {"temporary_shelter", "legal_aid"}
        shelter_referral = found["temporary_shelter"]
        assert shelter_referral["priority"] == "stat"
        partner = shelter_referral["partner"]
        assert partner["organization_id"] == SHELTER_OPERATOR
        assert shelter_referral["shelter_id"] in OPERATOR_SHELTERS
        assert shelter_referral["source_flag_ids"] == [flagged.data["domains"][0]["flag_id"]]
        [attempt] = shelter_referral["attempts"]
        assert attempt["number"] == 1 and attempt["outcome"] == "pending"
        assert attempt["shelter_id"] == shelter_referral["shelter_id"]
        assert any(
            r.startswith("service temporary_shelter of") for r in shelter_referral["reasons"]
        )
        assert any("free family beds" in r for r in shelter_referral["reasons"])

        # The seeded network has one shelter partner, for the whole country: routing says so.
        organisation = await referral.client.get(
            f"/api/v1/partners/{partner['organization_id']}", headers=referral.token()
        )
        [offered] = [
            s for s in organisation.json()["services"] if s["service_type"] == "temporary_shelter"
        ]
        assert offered["id"] == partner["service_id"]
        assert offered["areas"] == [{"kind": "country", "code": "KG"}]
        assert (
            f"service temporary_shelter of {partner['name']} covers KG (country)"
            in shelter_referral["reasons"]
        )
        legal = found["legal_aid"]
        assert legal["priority"] == "stat" and legal["status"] == "requested"
        assert legal["shelter_id"] is None and legal["hold_status"] is None

        ids = {shelter_referral["id"], legal["id"]}
        published = await referral.events(
            REFERRAL_REFERRALS, lambda e: e.partitionkey in ids, count=5
        )
        by_type: dict[str, list[Any]] = {}
        for event in published:
            by_type.setdefault(event.type, []).append(event)
        assert len(by_type[referral_events.REFERRAL_CREATED.type]) == 2
        assert len(by_type[referral_events.REFERRAL_ROUTED.type]) == 2
        [hold] = by_type[referral_events.BED_HOLD_REQUESTED.type]
        assert hold.data["referral_id"] == shelter_referral["id"]
        assert hold.data["shelter_id"] == shelter_referral["shelter_id"]
        assert hold.data["shelter_id"] in OPERATOR_SHELTERS
        assert hold.data["category"] == "family"
        assert all(e.causationid == flagged.id for e in published)
        assert all(e.correlationid == flagged.correlationid for e in published)

    async def test_the_same_event_twice_makes_no_second_referral(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        flagged = await referral.flag(household_id, ("housing", "critical"))
        await referral.wait_for_referrals(household_id, routed_with_hold)
        consumer = referral.app.state.runtime.consumers[0]
        duplicates_before = consumer.duplicates

        await referral.send(RISK_FLAGS, flagged)
        # Same key, same partition: once this later event is handled, the copy was too.
        await referral.flag(household_id, ("psychosocial", "medium"))
        found = await referral.wait_for_referrals(
            household_id, lambda f: "psychological_support" in f
        )

        assert consumer.duplicates > duplicates_before
        listed = await referral.client.get(
            "/api/v1/referrals", params={"household_id": household_id}, headers=referral.token()
        )
        assert listed.json()["total"] == 3
        assert len(found["temporary_shelter"]["attempts"]) == 1

    async def test_a_new_flag_for_the_same_need_raises_priority(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        first = await referral.flag(household_id, ("financial", "medium"))
        found = await referral.wait_for_referrals(
            household_id, lambda f: {"social_benefits", "employment_support"} <= set(f)
        )
        assert found["social_benefits"]["priority"] == "routine"
        original_id = found["social_benefits"]["id"]

        second = await referral.flag(household_id, ("financial", "high"))
        found = await referral.wait_for_referrals(
            household_id, lambda f: f["social_benefits"]["priority"] == "urgent"
        )
        benefits = found["social_benefits"]
        assert benefits["id"] == original_id
        assert benefits["source_flag_ids"] == [
            first.data["domains"][0]["flag_id"],
            second.data["domains"][0]["flag_id"],
        ]
        assert "priority raised from routine to urgent" in benefits["reasons"]

        await referral.flag(household_id, ("financial", "medium"))
        found = await referral.wait_for_referrals(
            household_id, lambda f: len(f["social_benefits"]["source_flag_ids"]) == 3
        )
        assert found["social_benefits"]["priority"] == "urgent"  # never lowered
        listed = await referral.client.get(
            "/api/v1/referrals", params={"household_id": household_id}, headers=referral.token()
        )
        assert listed.json()["total"] == 2

    async def test_a_district_partner_beats_the_country_wide_one(self, referral: Any) -> None:
        await seed(referral, DISTRICT_LEGAL_AID)
        inside, outside = str(uuid.uuid4()), str(uuid.uuid4())
        await referral.flag(inside, ("housing", "medium"), region="KG-Y", district="KG-Y-03")
        await referral.flag(outside, ("housing", "medium"), region="KG-Y", district="KG-Y-04")

        def routed(found: dict[str, dict[str, Any]]) -> bool:
            return found.get("legal_aid", {}).get("status") == "requested"

        near = (await referral.wait_for_referrals(inside, routed))["legal_aid"]
        assert near["partner"]["organization_id"] == DISTRICT_LEGAL_AID.id
        assert (
            "service legal_aid of Ton district legal aid covers KG-Y-03 (district)"
            in (near["reasons"])
        )
        assert any(
            r.startswith("ranked below: Legal aid for families (covers KG (country)")
            for r in near["reasons"]
        )
        # Next door, only the country-wide partner covers the family.
        far = (await referral.wait_for_referrals(outside, routed))["legal_aid"]
        assert far["partner"]["organization_id"] == LEGAL_AID

    async def test_an_unassigned_referral_is_routed_when_flagged_again(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        place = {"region": "KG-T", "district": "KG-T-04"}
        await referral.flag(household_id, ("child_protection", "high"), **place)
        found = await referral.wait_for_referrals(
            household_id, lambda f: f.get("child_protection", {}).get("status") == "unassigned"
        )
        unassigned = found["child_protection"]

        # Flagged again while still nobody can take it: noted, and no second alert.
        again = await referral.flag(household_id, ("child_protection", "high"), **place)
        await referral.wait_handled(again)
        still = (await referral.referrals(household_id))["child_protection"]
        assert still["status"] == "unassigned" and still["attempts"] == []
        assert any(r.startswith("flagged again: needs child_protection") for r in still["reasons"])

        await seed(referral, TALAS_CHILD_PROTECTION)
        await referral.flag(household_id, ("child_protection", "critical"), **place)
        found = await referral.wait_for_referrals(
            household_id, lambda f: f["child_protection"]["status"] == "requested"
        )
        routed = found["child_protection"]
        assert routed["id"] == unassigned["id"]
        assert routed["priority"] == "stat"
        assert routed["partner"]["organization_id"] == TALAS_CHILD_PROTECTION.id
        assert [(a["number"], a["outcome"]) for a in routed["attempts"]] == [(1, "pending")]
        assert "priority raised from urgent to stat" in routed["reasons"]

        published = await referral.events(
            REFERRAL_REFERRALS, lambda e: e.partitionkey == routed["id"], count=3, settle_s=0.5
        )
        assert [(e.type, e.data["reason"]) for e in published] == [
            (referral_events.REFERRAL_CREATED.type, None),
            (referral_events.REFERRAL_ESCALATED.type, "no_eligible_partner"),
            (referral_events.REFERRAL_ROUTED.type, "flagged_again"),
        ]
        assert published[-1].data["priority"] == "stat"

    async def test_medium_housing_needs_no_shelter(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        await referral.flag(household_id, ("housing", "medium"))
        found = await referral.wait_for_referrals(household_id, lambda f: "legal_aid" in f)
        assert set(found) == {"legal_aid"}
        assert found["legal_aid"]["priority"] == "routine"

    async def test_no_partner_for_the_need_escalates(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        # Nobody in the seeded directory offers child protection services.
        await referral.flag(household_id, ("child_protection", "high"))
        found = await referral.wait_for_referrals(
            household_id, lambda f: f.get("child_protection", {}).get("status") == "unassigned"
        )
        unassigned = found["child_protection"]
        assert unassigned["partner"] is None and unassigned["attempts"] == []
        assert unassigned["reasons"][-1] == (
            "no eligible partner for child_protection in KG-J-06 (KG-J)"
        )
        [escalated] = await referral.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == unassigned["id"]
                and e.type == referral_events.REFERRAL_ESCALATED.type
            ),
        )
        assert escalated.data["status"] == "unassigned"
        assert escalated.data["organization_id"] is None

    async def test_a_malformed_flag_goes_to_the_dlq_and_work_goes_on(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        malformed = referral.family_flagged(household_id, ("housing", "critical"))
        malformed = malformed.model_copy(update={"data": {**malformed.data, "domains": "x"}})
        await referral.send(RISK_FLAGS, malformed)
        await referral.flag(household_id, ("financial", "medium"))

        found = await referral.wait_for_referrals(household_id, lambda f: "social_benefits" in f)
        assert "temporary_shelter" not in found
        [parked] = await referral.events(dlq_topic("referral"), lambda e: e.id == malformed.id)
        assert parked.data["domains"] == "x"


class TestShelterAnswers:
    async def test_a_placed_hold_marks_the_bed_held(self, referral: Any) -> None:
        shelter_referral = await shelter_referral_for_new_family(referral)
        hold_id = await place_hold(referral, shelter_referral)
        found = await referral.referrals(shelter_referral["household_id"])
        assert any(hold_id in r for r in found["temporary_shelter"]["reasons"])

    async def test_an_arrival_confirms_the_hold(self, referral: Any) -> None:
        shelter_referral = await shelter_referral_for_new_family(referral)
        hold_id = await place_hold(referral, shelter_referral)
        await accept(referral, shelter_referral)
        await referral.shelter_event(
            shelter.HOLD_CONFIRMED.type,
            shelter_referral["shelter_id"],
            shelter.HoldConfirmed(
                hold_id=hold_id,
                referral_id=shelter_referral["id"],
                shelter_id=shelter_referral["shelter_id"],
                category="family",
                beds=1,
            ),
        )
        found = await referral.wait_for_referrals(
            shelter_referral["household_id"],
            lambda f: f["temporary_shelter"]["hold_status"] == "confirmed",
        )
        assert found["temporary_shelter"]["status"] == "accepted"
        assert found["temporary_shelter"]["reasons"][-1].startswith("family arrived at shelter")

    async def test_a_rejected_hold_moves_to_another_shelter(self, referral: Any) -> None:
        shelter_referral = await shelter_referral_for_new_family(referral)
        refused = shelter_referral["shelter_id"]
        await referral.shelter_event(
            shelter.HOLD_REJECTED.type,
            refused,
            shelter.HoldRejected(
                referral_id=shelter_referral["id"],
                shelter_id=refused,
                category="family",
                reason="no_capacity",
            ),
        )
        found = await referral.wait_for_referrals(shelter_referral["household_id"], moved_on)
        moved = found["temporary_shelter"]
        # The operator has family beds free at its other shelters: the referral stays with it.
        assert moved["status"] == "requested"
        assert moved["partner"]["organization_id"] == SHELTER_OPERATOR
        first, second = moved["attempts"]
        assert first["outcome"] == "hold_rejected"
        assert "no_capacity" in first["reason"]
        assert second["number"] == 2 and second["outcome"] == "pending"
        assert second["shelter_id"] != refused
        assert second["shelter_id"] in OPERATOR_SHELTERS
        assert moved["shelter_id"] == second["shelter_id"]
        assert moved["hold_status"] == "requested"
        holds = await referral.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == moved["id"] and e.type == referral_events.BED_HOLD_REQUESTED.type
            ),
            count=2,
        )
        assert [h.data["shelter_id"] for h in holds] == [refused, moved["shelter_id"]]
        routed = await referral.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == moved["id"] and e.type == referral_events.REFERRAL_ROUTED.type
            ),
            count=2,
        )
        assert [e.data["reason"] for e in routed] == ["new_referral", "hold_rejected:no_capacity"]

    async def test_a_hold_rejection_after_acceptance_changes_nothing(self, referral: Any) -> None:
        shelter_referral = await shelter_referral_for_new_family(referral)
        await place_hold(referral, shelter_referral)
        await accept(referral, shelter_referral)

        late = await referral.shelter_event(
            shelter.HOLD_REJECTED.type,
            shelter_referral["shelter_id"],
            shelter.HoldRejected(
                referral_id=shelter_referral["id"],
                shelter_id=shelter_referral["shelter_id"],
                category="family",
                reason="no_capacity",
            ),
        )
        await referral.wait_handled(late)
        kept = (await referral.referrals(shelter_referral["household_id"]))["temporary_shelter"]
        assert kept["status"] == "accepted"
        assert kept["hold_status"] == "held"
        assert kept["shelter_id"] == shelter_referral["shelter_id"]
        assert [a["outcome"] for a in kept["attempts"]] == ["accepted"]

    async def test_an_expired_hold_of_an_accepted_referral_is_released(self, referral: Any) -> None:
        shelter_referral = await shelter_referral_for_new_family(referral)
        hold_id = await place_hold(referral, shelter_referral)
        await accept(referral, shelter_referral)

        await release(
            referral, shelter_referral, hold_id, type=shelter.HOLD_EXPIRED.type, reason="expired"
        )
        found = await referral.wait_for_referrals(
            shelter_referral["household_id"],
            lambda f: f["temporary_shelter"]["hold_status"] == "released",
        )
        released = found["temporary_shelter"]
        assert released["status"] == "accepted"
        assert released["reasons"][-1] == (
            f"bed hold {hold_id} at shelter {shelter_referral['shelter_id']} released: expired"
        )
        holds = await referral.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == released["id"]
                and e.type == referral_events.BED_HOLD_REQUESTED.type
            ),
            settle_s=0.5,
        )
        assert len(holds) == 1  # the family has its partner; no bed is asked for again

    async def test_a_bed_let_go_before_the_partner_answers_is_asked_for_again(
        self, referral: Any
    ) -> None:
        shelter_referral = await shelter_referral_for_new_family(referral)
        hold_id = await place_hold(referral, shelter_referral)

        await release(
            referral, shelter_referral, hold_id, type=shelter.HOLD_RELEASED.type, reason="released"
        )
        found = await referral.wait_for_referrals(
            shelter_referral["household_id"],
            lambda f: f["temporary_shelter"]["hold_status"] == "requested",
        )
        waiting = found["temporary_shelter"]
        assert waiting["status"] == "requested"
        assert waiting["shelter_id"] == shelter_referral["shelter_id"]
        assert [a["outcome"] for a in waiting["attempts"]] == ["pending"]
        assert (
            f"bed hold {hold_id} at shelter {waiting['shelter_id']} released: released"
            in (waiting["reasons"])
        )
        holds = await referral.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == waiting["id"]
                and e.type == referral_events.BED_HOLD_REQUESTED.type
            ),
            count=2,
        )
        assert [h.data["shelter_id"] for h in holds] == [waiting["shelter_id"]] * 2
        # Until the shelter answers again, the partner cannot accept.
        early = await referral.client.post(
            f"/partner/v1/referrals/{waiting['id']}/accept",
            headers=referral.token("partner", organization_id=SHELTER_OPERATOR),
        )
        assert early.status_code == 409 and early.json()["code"] == "hold_pending"

    async def test_an_answer_for_another_shelter_is_ignored(self, referral: Any) -> None:
        shelter_referral = await shelter_referral_for_new_family(referral)
        other = next(s for s in OPERATOR_SHELTERS if s != shelter_referral["shelter_id"])
        await referral.shelter_event(
            shelter.HOLD_REJECTED.type,
            other,
            shelter.HoldRejected(
                referral_id=shelter_referral["id"],
                shelter_id=other,
                category="family",
                reason="stale answer",
            ),
        )
        # A later event on the same key shows that the stale one has been handled.
        hold_id = str(uuid.uuid4())
        await referral.shelter_event(
            shelter.HOLD_PLACED.type,
            other,
            shelter.HoldPlaced(
                hold_id=hold_id,
                referral_id=shelter_referral["id"],
                shelter_id=shelter_referral["shelter_id"],
                category="family",
                expires_at=datetime.now(UTC) + timedelta(hours=24),
            ),
        )
        found = await referral.wait_for_referrals(
            shelter_referral["household_id"],
            lambda f: f["temporary_shelter"]["hold_status"] == "held",
        )
        kept = found["temporary_shelter"]
        assert [a["outcome"] for a in kept["attempts"]] == ["pending"]
        assert kept["shelter_id"] == shelter_referral["shelter_id"]
