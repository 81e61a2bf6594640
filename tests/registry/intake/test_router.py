"""The intake API on the running registry: upload, the job run by the app's worker, report."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx

from kamkor_common.events.schemas.registry import HOUSEHOLD_REGISTERED
from kamkor_common.testing import dev_token, wait_until
from kamkor_registry.intake import columns

JOBS = "/api/v1/registry/intake/jobs"


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _round() -> list[dict[str, str]]:
    ref = f"t/{uuid.uuid4()}"
    base = {**columns.EXAMPLE, "household_ref": ref}
    return [
        base,
        {**base, "given_name": "Бекжан", "sex": "male", "birth_date": "2018-09-01"},
        {**base, "birth_date": "2031-01-01", "given_name": "Эмир"},  # row 4: future
        {**base, "district": "KG-C-01", "region": "KG-C", "household_ref": f"{ref}-c"},  # 5
        base,  # row 6: a repeat of row 2
    ]


async def _finished(client: httpx.AsyncClient, job_id: str, headers: dict[str, str]) -> Any:
    async def done() -> bool:
        answer = await client.get(f"{JOBS}/{job_id}", headers=headers)
        return answer.json()["status"] in ("completed", "failed")

    await wait_until(done, timeout_s=60)
    return (await client.get(f"{JOBS}/{job_id}", headers=headers)).json()


class TestIntakeApi:
    async def test_round_registered_reported_and_idempotent(
        self, registry_client: httpx.AsyncClient, auth: Any, outbox_events: Any
    ) -> None:
        worker = auth("social_worker", region="KG-J", districts=["KG-J-06"])
        body = _csv(_round())
        answer = await registry_client.post(
            JOBS,
            content=body,
            headers={**worker, "Content-Type": "text/csv", "X-Purpose": "round 2026-H2"},
        )
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
        assert answer.headers["Location"].endswith(job_id)

        job = await _finished(registry_client, job_id, worker)
        assert job["status"] == "completed"
        assert (job["rows_read"], job["rows_committed"], job["rows_matched"]) == (5, 2, 1)
        assert job["rows_rejected"] == 2

        rejected = await registry_client.get(
            f"{JOBS}/{job_id}/rows", params={"outcome": "rejected"}, headers=worker
        )
        items = rejected.json()["items"]
        assert [(i["row_number"], i["reason_code"]) for i in items] == [
            (4, "invalid_birth_date"),
            (5, "region_not_allowed"),
        ]
        every = (await registry_client.get(f"{JOBS}/{job_id}/rows", headers=worker)).json()
        committed = [i for i in every["items"] if i["outcome"] == "committed"]
        household_id = committed[0]["household_id"]
        assert {i["household_id"] for i in committed} == {household_id}
        matched = [i for i in every["items"] if i["outcome"] == "matched_existing"]
        assert matched[0]["person_id"] == committed[0]["person_id"]
        events = await outbox_events(household_id, HOUSEHOLD_REGISTERED)
        assert len(events) == 1
        assert len(events[0].data["members"]) == 3  # two children and their grandmother

        household = await registry_client.get(
            f"/api/v1/registry/households/{household_id}", headers=worker
        )
        assert len(household.json()["members"]) == 3
        # The database is shared with the other tests, which register namesakes too.
        found = await registry_client.get(
            "/api/v1/registry/persons/search",
            params={"q": "Aidai Adylbekova", "limit": 500},
            headers=worker,
        )
        assert household_id in {i["household_id"] for i in found.json()["items"]}

        again = await registry_client.post(
            JOBS, content=body, headers={**worker, "Content-Type": "text/csv"}
        )
        assert again.status_code == 200
        assert again.json()["id"] == job_id

        # The region's supervisor reads the report; another region's does not see the job.
        supervisor = auth("supervisor", region="KG-J")
        assert (
            await registry_client.get(f"{JOBS}/{job_id}", headers=supervisor)
        ).status_code == 200
        other = {"Authorization": f"Bearer {dev_token('supervisor', region='KG-C', subject='s2')}"}
        missing = await registry_client.get(f"{JOBS}/{job_id}", headers=other)
        assert missing.status_code == 404
        assert missing.json()["code"] == "intake_job_not_found"

    async def test_unknown_columns_refused_at_upload(
        self, registry_client: httpx.AsyncClient, auth: Any
    ) -> None:
        answer = await registry_client.post(
            JOBS,
            content=b"household_ref,shoe_size\r\nx,42\r\n",
            headers={**auth("admin"), "Content-Type": "text/csv"},
        )
        assert answer.status_code == 422
        assert answer.json()["code"] == "intake_columns"

    async def test_template_and_roles(self, registry_client: httpx.AsyncClient, auth: Any) -> None:
        template = await registry_client.get(
            "/api/v1/registry/intake/template.csv", headers=auth("admin")
        )
        assert template.status_code == 200
        assert template.headers["content-type"] == "text/csv; charset=utf-8"
        assert template.text.splitlines()[0] == ",".join(columns.COLUMNS)
        refused = await registry_client.post(
            JOBS, content=b"x", headers={**auth("auditor"), "Content-Type": "text/csv"}
        )
        assert refused.status_code == 403
