"""Analysts' risk aggregates through the API: counts, suppression, filters and roles."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import httpx

from kamkor_common.db import Database
from kamkor_common.reference.regions import KYRGYZSTAN_TZ
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.screenings.models import OPEN, DomainAssessment, RiskFlag, Screening
from tests.risk.conftest import auth

Seed = tuple[str, str, str, str, int]  # region, district, domain, severity, households


async def _seed(
    database: Database, day: date, seeds: list[Seed], *, at_time: time = time(12)
) -> list[str]:
    """Households screened and flagged on `day` (local time); returns their ids."""
    at = datetime.combine(day, at_time, KYRGYZSTAN_TZ).astimezone(UTC)
    ids: list[str] = []
    async with database.sessionmaker() as session, session.begin():
        for region, district, domain, severity, n in seeds:
            for _ in range(n):
                household_id = str(uuid.uuid4())
                ids.append(household_id)
                session.add(
                    RiskHousehold(
                        household_id=household_id, region=region, district=district, language="ky"
                    )
                )
                screening = Screening(
                    id=str(uuid.uuid4()),
                    household_id=household_id,
                    rule_set_version="test",
                    created_at=at,
                    created_by="test-worker",
                )
                session.add(screening)
                await session.flush()
                session.add(
                    DomainAssessment(
                        screening_id=screening.id, domain=domain, score=80, severity=severity
                    )
                )
                session.add(
                    RiskFlag(
                        id=str(uuid.uuid4()),
                        household_id=household_id,
                        domain=domain,
                        severity=severity,
                        status=OPEN,
                        rule_set_version="test",
                        opened_at=at,
                        updated_at=at,
                        last_screening_id=screening.id,
                    )
                )
    return ids


def _table(body: dict[str, Any], domain: str) -> dict[str, Any]:
    return next(d["table"] for d in body["domains"] if d["domain"] == domain)


def _cell(table: dict[str, Any], row: str, column: str) -> dict[str, Any]:
    return table["cells"][table["rows"].index(row)][table["columns"].index(column)]


def _lines_leak(table: dict[str, Any]) -> list[str]:
    """Rows and columns (totals included) with exactly one suppressed figure."""
    grid = [
        [*cells, total] for cells, total in zip(table["cells"], table["row_totals"], strict=True)
    ]
    grid.append([*table["column_totals"], table["total"]])
    lines = grid + [list(column) for column in zip(*grid, strict=True)]
    return [str(line) for line in lines if sum(c["suppressed"] for c in line) == 1]


class TestFlagStats:
    async def test_counts_by_region_domain_severity_with_small_cells_suppressed(
        self, risk_client: httpx.AsyncClient, risk_db: Database
    ) -> None:
        day = date(2031, 3, 4)
        ids = await _seed(
            risk_db,
            day,
            [
                ("KG-J", "KG-J-01", "housing", "critical", 7),
                ("KG-J", "KG-J-02", "housing", "high", 6),
                ("KG-C", "KG-C-01", "housing", "critical", 8),
                ("KG-C", "KG-C-01", "housing", "high", 9),
                ("KG-N", "KG-N-01", "housing", "high", 2),
                ("KG-J", "KG-J-01", "financial", "medium", 5),
            ],
        )
        response = await risk_client.get(
            "/api/v1/risk/stats/flags",
            params={"from": "2031-03-04", "to": "2031-03-04"},
            headers=auth("analyst", region=None, districts=()),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rule"] == {"min_cell": 5, "complementary": True}
        assert body["breakdown"] == {
            "from": "2031-03-04",
            "to": "2031-03-04",
            "region": None,
            "rows": "region",
        }
        housing = _table(body, "housing")
        assert housing["columns"] == ["medium", "high", "critical"]
        assert _cell(housing, "KG-J", "critical") == {"count": 7, "suppressed": False}
        assert _cell(housing, "KG-C", "high") == {"count": 9, "suppressed": False}
        assert _cell(housing, "KG-N", "high") == {"count": None, "suppressed": True}
        assert housing["total"] == {"count": 32, "suppressed": False}
        # KG-N's 2 would follow from its row total or the column total: both lines hide more.
        assert housing["row_totals"][housing["rows"].index("KG-N")]["suppressed"]
        assert _lines_leak(housing) == []
        financial = _table(body, "financial")
        assert _cell(financial, "KG-J", "medium") == {"count": 5, "suppressed": False}
        assert all(_lines_leak(d["table"]) == [] for d in body["domains"])
        # No family's identifier in the answer.
        assert not any(household_id in response.text for household_id in ids)

    async def test_a_region_breaks_down_by_district_and_the_period_excludes_other_days(
        self, risk_client: httpx.AsyncClient, risk_db: Database
    ) -> None:
        await _seed(risk_db, date(2031, 5, 10), [("KG-T", "KG-T-01", "housing", "high", 6)])
        await _seed(risk_db, date(2031, 5, 11), [("KG-T", "KG-T-02", "housing", "high", 9)])
        response = await risk_client.get(
            "/api/v1/risk/stats/flags",
            params={"from": "2031-05-10", "to": "2031-05-10", "region": "KG-T"},
            headers=auth("auditor", region=None, districts=()),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["breakdown"]["rows"] == "district"
        housing = _table(body, "housing")
        assert "KG-T-01" in housing["rows"] and "KG-J" not in housing["rows"]
        assert _cell(housing, "KG-T-01", "high") == {"count": 6, "suppressed": False}
        # The 9 of the next day are outside the period.
        assert housing["column_totals"][housing["columns"].index("high")]["count"] == 6

    async def test_days_are_kyrgyzstans_local_days(
        self, risk_client: httpx.AsyncClient, risk_db: Database
    ) -> None:
        # 00:30 in Bishkek on 10 October is still 9 October in UTC; 23:30 on the 9th is not.
        await _seed(
            risk_db,
            date(2031, 10, 10),
            [("KG-B", "KG-B-01", "housing", "high", 5)],
            at_time=time(0, 30),
        )
        await _seed(
            risk_db,
            date(2031, 10, 9),
            [("KG-B", "KG-B-01", "housing", "high", 6)],
            at_time=time(23, 30),
        )
        response = await risk_client.get(
            "/api/v1/risk/stats/flags",
            params={"from": "2031-10-10", "to": "2031-10-10"},
            headers=auth("analyst", region=None, districts=()),
        )
        assert response.status_code == 200, response.text
        assert _table(response.json(), "housing")["total"] == {"count": 5, "suppressed": False}

    async def test_wrong_region_or_a_backwards_period_is_refused(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        headers = auth("analyst", region=None, districts=())
        backwards = await risk_client.get(
            "/api/v1/risk/stats/flags",
            params={"from": "2031-02-02", "to": "2031-02-01"},
            headers=headers,
        )
        assert backwards.status_code == 422
        assert backwards.json()["code"] == "invalid_period"
        unknown = await risk_client.get(
            "/api/v1/risk/stats/screenings", params={"region": "KG-X"}, headers=headers
        )
        assert unknown.status_code == 422
        assert unknown.json()["code"] == "unknown_region"
        not_a_date = await risk_client.get(
            "/api/v1/risk/stats/flags", params={"from": "yesterday"}, headers=headers
        )
        assert not_a_date.status_code == 422


class TestScreeningStats:
    async def test_domain_scores_of_the_period_counted_by_severity(
        self, risk_client: httpx.AsyncClient, risk_db: Database
    ) -> None:
        await _seed(
            risk_db,
            date(2031, 7, 1),
            [
                ("KG-Y", "KG-Y-01", "psychosocial", "low", 12),
                ("KG-Y", "KG-Y-01", "caregiving", "none", 3),
            ],
        )
        response = await risk_client.get(
            "/api/v1/risk/stats/screenings",
            params={"from": "2031-07-01", "to": "2031-07-01"},
            headers=auth("admin", region=None, districts=()),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        psychosocial = _table(body, "psychosocial")
        assert psychosocial["columns"] == ["none", "low", "medium", "high", "critical"]
        assert _cell(psychosocial, "KG-Y", "low") == {"count": 12, "suppressed": False}
        assert _cell(_table(body, "caregiving"), "KG-Y", "none")["suppressed"] is True


class TestAccess:
    async def test_only_analysts_admins_and_auditors_see_aggregates(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        for role in ("social_worker", "supervisor", "partner", "shelter_staff"):
            response = await risk_client.get(
                "/api/v1/risk/stats/flags", headers=auth(role, organization_id="org-1")
            )
            assert response.status_code == 403, (role, response.text)
        anonymous = await risk_client.get("/api/v1/risk/stats/flags")
        assert anonymous.status_code == 401

    async def test_an_analyst_gets_no_record_level_route(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        headers = auth("analyst", region=None, districts=())
        flags = await risk_client.get("/api/v1/risk/flags", headers=headers)
        assert flags.status_code == 403
        screening = await risk_client.get(
            f"/api/v1/risk/screenings/{uuid.uuid4()}", headers=headers
        )
        assert screening.status_code == 403
