"""Analysts' referral aggregates through the API: statuses and outcomes, response times."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kamkor_common.reference.regions import KYRGYZSTAN_TZ
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.states import AttemptOutcome, ReferralStatus
from tests.referral.conftest import ReferralHarness

ORG = "0a0a0000-0000-4000-8000-000000000001"
SERVICE = "5e700000-0000-4000-8000-000000000001"


def _referral(
    day: date,
    region: str,
    district: str,
    status: str,
    *,
    priority: str = "routine",
    outcome: str | None = None,
) -> Referral:
    at = datetime.combine(day, time(9), KYRGYZSTAN_TZ).astimezone(UTC)
    history: list[dict[str, Any]] = [{"status": "requested", "at": at.isoformat()}]
    if status == ReferralStatus.COMPLETED:
        history.append({"status": "completed", "at": at.isoformat(), "outcome": outcome})
    return Referral(
        household_id=str(uuid.uuid4()),
        service_type="legal_aid",
        priority=priority,
        status=status,
        region=region,
        district=district,
        language="ky",
        created_at=at,
        updated_at=at,
        history=history,
    )


async def _add(harness: ReferralHarness, rows: list[Referral | RoutingAttempt]) -> None:
    async with harness.database.sessionmaker() as session, session.begin():
        for row in rows:
            session.add(row)
            await session.flush()


def _answered(referral: Referral, outcome: AttemptOutcome, hours: float) -> RoutingAttempt:
    made = referral.created_at
    return RoutingAttempt(
        referral_id=referral.id,
        number=1,
        organization_id=ORG,
        service_id=SERVICE,
        outcome=outcome,
        created_at=made,
        decided_at=made + timedelta(hours=hours),
        response_due_at=made + timedelta(hours=72),
        remind_at=made + timedelta(hours=36),
    )


def _cell(table: dict[str, Any], row: str, column: str) -> dict[str, Any]:
    return table["cells"][table["rows"].index(row)][table["columns"].index(column)]


def _lines_leak(table: dict[str, Any]) -> list[str]:
    """Rows and columns (totals included) with exactly one suppressed figure."""
    grid = [[*c, t] for c, t in zip(table["cells"], table["row_totals"], strict=True)]
    grid.append([*table["column_totals"], table["total"]])
    lines = grid + [list(column) for column in zip(*grid, strict=True)]
    return [str(line) for line in lines if sum(c["suppressed"] for c in line) == 1]


def _analyst(harness: ReferralHarness) -> dict[str, str]:
    return harness.token("analyst")


class TestStatusStats:
    async def test_statuses_and_outcomes_by_region_with_small_cells_suppressed(
        self, referral: ReferralHarness
    ) -> None:
        day = date(2031, 4, 2)
        rows = (
            [_referral(day, "KG-C", "KG-C-01", "accepted") for _ in range(6)]
            + [_referral(day, "KG-C", "KG-C-02", "completed", outcome="got_help") for _ in range(7)]
            + [
                _referral(day, "KG-C", "KG-C-01", "completed", outcome="waitlisted")
                for _ in range(2)
            ]
            + [_referral(day, "KG-C", "KG-C-01", "cancelled") for _ in range(8)]
            + [_referral(day, "KG-J", "KG-J-01", "accepted") for _ in range(5)]
            + [_referral(day, "KG-J", "KG-J-01", "cancelled") for _ in range(9)]
            + [_referral(day, "KG-J", "KG-J-01", "completed", outcome="got_help") for _ in range(6)]
            # Another day: outside the period asked for.
            + [_referral(day + timedelta(days=1), "KG-C", "KG-C-01", "accepted") for _ in range(5)]
        )
        await _add(referral, list(rows))
        response = await referral.client.get(
            "/api/v1/referrals/stats/statuses",
            params={"from": "2031-04-02", "to": "2031-04-02"},
            headers=_analyst(referral),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rule"] == {"min_cell": 5, "complementary": True}
        assert body["breakdown"]["rows"] == "region"
        table = body["table"]
        assert "completed" not in table["columns"]
        assert "completed.got_help" in table["columns"] and "cancelled" in table["columns"]
        assert _cell(table, "KG-C", "accepted") == {"count": 6, "suppressed": False}
        assert _cell(table, "KG-C", "completed.got_help") == {"count": 7, "suppressed": False}
        assert _cell(table, "KG-C", "completed.waitlisted") == {"count": None, "suppressed": True}
        assert _cell(table, "KG-J", "cancelled") == {"count": 9, "suppressed": False}
        assert table["total"] == {"count": 43, "suppressed": False}
        assert _lines_leak(table) == []
        assert not any(r.id in response.text or r.household_id in response.text for r in rows)

    async def test_a_completion_without_a_recorded_outcome_has_its_own_column(
        self, referral: ReferralHarness
    ) -> None:
        day = date(2031, 11, 3)
        await _add(referral, [_referral(day, "KG-GO", "KG-GO-01", "completed") for _ in range(5)])
        response = await referral.client.get(
            "/api/v1/referrals/stats/statuses",
            params={"from": "2031-11-03", "to": "2031-11-03"},
            headers=_analyst(referral),
        )
        assert response.status_code == 200, response.text
        table = response.json()["table"]
        assert table["columns"][-2:] == ["unassigned", "entered_in_error"]
        assert _cell(table, "KG-GO", "completed.unrecorded") == {"count": 5, "suppressed": False}

    async def test_a_region_breaks_down_by_district(self, referral: ReferralHarness) -> None:
        day = date(2031, 6, 9)
        await _add(referral, [_referral(day, "KG-N", "KG-N-02", "cancelled") for _ in range(5)])
        response = await referral.client.get(
            "/api/v1/referrals/stats/statuses",
            params={"from": "2031-06-09", "to": "2031-06-09", "region": "KG-N"},
            headers=referral.token("auditor"),
        )
        assert response.status_code == 200, response.text
        table = response.json()["table"]
        assert "KG-N-02" in table["rows"] and "KG-C" not in table["rows"]
        assert _cell(table, "KG-N-02", "cancelled") == {"count": 5, "suppressed": False}

    async def test_a_backwards_period_or_unknown_region_is_refused(
        self, referral: ReferralHarness
    ) -> None:
        backwards = await referral.client.get(
            "/api/v1/referrals/stats/statuses",
            params={"from": "2031-02-02", "to": "2031-02-01"},
            headers=_analyst(referral),
        )
        assert backwards.status_code == 422
        assert backwards.json()["code"] == "invalid_period"
        unknown = await referral.client.get(
            "/api/v1/referrals/stats/response-times",
            params={"region": "Talas"},
            headers=_analyst(referral),
        )
        assert unknown.status_code == 422
        assert unknown.json()["code"] == "unknown_region"


class TestResponseTimeStats:
    async def test_median_and_p90_hours_per_priority_and_answer(
        self, referral: ReferralHarness
    ) -> None:
        day = date(2031, 8, 20)
        urgent = [
            _referral(day, "KG-O", "KG-O-01", "accepted", priority="urgent") for _ in range(6)
        ]
        stat = [_referral(day, "KG-O", "KG-O-01", "cancelled", priority="stat") for _ in range(2)]
        attempts = [
            _answered(r, AttemptOutcome.ACCEPTED, hours)
            for r, hours in zip(urgent, [1, 2, 3, 4, 5, 10], strict=True)
        ] + [_answered(r, AttemptOutcome.REJECTED, 0.5) for r in stat]
        await _add(referral, [*urgent, *stat, *attempts])
        response = await referral.client.get(
            "/api/v1/referrals/stats/response-times",
            params={"from": "2031-08-20", "to": "2031-08-20", "region": "KG-O"},
            headers=_analyst(referral),
        )
        assert response.status_code == 200, response.text
        groups = {(g["priority"], g["outcome"]): g for g in response.json()["groups"]}
        assert len(groups) == 9
        assert groups[("urgent", "accepted")] == {
            "priority": "urgent",
            "outcome": "accepted",
            "referrals": 6,
            "median_hours": 3.5,
            "p90_hours": 7.5,
            "suppressed": False,
        }
        assert groups[("stat", "rejected")] == {
            "priority": "stat",
            "outcome": "rejected",
            "referrals": None,
            "median_hours": None,
            "p90_hours": None,
            "suppressed": True,
        }


class TestRoutesAndAccess:
    async def test_stats_paths_do_not_fall_into_the_referral_by_id_route(
        self, referral: ReferralHarness
    ) -> None:
        one = _referral(date(2031, 9, 1), "KG-B", "KG-B-01", "cancelled")
        await _add(referral, [one])
        by_id = await referral.client.get(f"/api/v1/referrals/{one.id}", headers=referral.token())
        assert by_id.status_code == 200 and by_id.json()["id"] == one.id
        stats = await referral.client.get(
            "/api/v1/referrals/stats/statuses", headers=referral.token()
        )
        assert stats.status_code == 200 and "table" in stats.json()

    async def test_only_analysts_admins_and_auditors_see_aggregates(
        self, referral: ReferralHarness
    ) -> None:
        for role, claims in (
            ("social_worker", {"region": "KG-T", "districts": ["KG-T-01"]}),
            ("supervisor", {"region": "KG-T"}),
            ("partner", {"organization_id": ORG}),
        ):
            for path in ("statuses", "response-times"):
                response = await referral.client.get(
                    f"/api/v1/referrals/stats/{path}", headers=referral.token(role, **claims)
                )
                assert response.status_code == 403, (role, path, response.text)

    async def test_an_analyst_gets_no_record_level_route(self, referral: ReferralHarness) -> None:
        listing = await referral.client.get("/api/v1/referrals", headers=_analyst(referral))
        assert listing.status_code == 403
        one = await referral.client.get(
            f"/api/v1/referrals/{uuid.uuid4()}", headers=_analyst(referral)
        )
        assert one.status_code == 403
