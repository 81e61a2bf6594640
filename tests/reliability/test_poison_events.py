"""Case 5: poison events go to `dlq.<group>.v1` with their error, the consumer moves on,
and `kamkor dlq replay` brings them back once the cause is fixed.

Three poisons for the referral service's group: a malformed envelope, a valid envelope
whose data fails validation, and a good flag that fails because of something wrong in the
service's database (a constraint that should not be there). Once that is dropped, the
replayed flag opens its referrals once; a replayed copy of a flag handled long ago is
skipped; the two that can never be handled go back to the DLQ.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path

from kamkor_common.events.schemas.risk import FAMILY_FLAGGED
from kamkor_common.events.topics import RISK_FLAGS, dlq_topic
from kamkor_common.messaging.outbox import kafka_headers
from kamkor_common.testing import wait_until
from tests.reliability.conftest import Reliability
from tests.reliability.events import RawEvent, publish

GROUP = "referral"


async def _kamkor(*args: str) -> tuple[str, str]:
    """Run the `kamkor` command of this environment, as an operator would."""
    command = Path(sys.executable).with_name("kamkor")
    process = await asyncio.create_subprocess_exec(
        str(command),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode(), err.decode()


def _letters(listing: str) -> dict[str, list[str]]:
    """event id -> the errors of its dead letters, from `kamkor dlq list`."""
    letters: dict[str, list[str]] = {}
    for line in listing.splitlines():
        fields = line.split("\t", 4)
        if len(fields) == 5 and fields[0].isdigit():  # an error may run over several lines
            letters.setdefault(fields[2], []).append(fields[4])
    return letters


async def _flagged(rel: Reliability, household_id: str) -> RawEvent:
    rows = await rel.query(
        "risk",
        "SELECT topic, key, payload, event_id, event_type FROM outbox_messages "
        "WHERE event_type = $1 AND key = $2",
        FAMILY_FLAGGED.type,
        household_id,
    )
    assert len(rows) == 1
    return RawEvent(**dict(rows[0]))


class TestPoisonEvents:
    async def test_poison_is_parked_with_its_error_and_replayed_once_fixed(
        self, rel: Reliability
    ) -> None:
        handled_long_ago, blocked, after = await rel.register(3, kinds=("financial",))
        await rel.screen(handled_long_ago)
        await rel.settle([handled_long_ago])

        malformed_id, invalid_id = str(uuid.uuid4()), str(uuid.uuid4())
        invalid = json.loads((await _flagged(rel, handled_long_ago.household_id)).payload)
        invalid |= {"id": invalid_id, "data": {"household_id": invalid["data"]["household_id"]}}
        constraint = f"rel_poison_{uuid.uuid4().hex[:8]}"
        await rel.query(
            "referral",
            f"ALTER TABLE referrals ADD CONSTRAINT {constraint} "
            f"CHECK (household_id <> '{blocked.household_id}') NOT VALID",
        )
        await publish(
            rel.platform.bootstrap,
            [
                (
                    RISK_FLAGS,
                    b"poison",
                    b'{"specversion": "1.0", "id": ',
                    kafka_headers(FAMILY_FLAGGED.type, malformed_id, "/kamkor/risk"),
                ),
                RawEvent(
                    RISK_FLAGS, "poison", json.dumps(invalid), invalid_id, FAMILY_FLAGGED.type
                ),
            ],
        )
        await rel.screen(blocked)
        blocked_event = await _flagged(rel, blocked.household_id)
        await rel.screen(after)
        # The consumer moved on: the family screened after the poison has its referrals.
        await rel.settle([after], timeout_s=60)

        listing: dict[str, list[str]] = {}

        async def parked() -> bool:
            out, _ = await _kamkor(
                "dlq", "list", "--group", GROUP, "--bootstrap", rel.platform.bootstrap
            )
            listing.clear()
            listing.update(_letters(out))
            return {malformed_id, invalid_id, blocked_event.event_id} <= set(listing)

        await wait_until(parked, timeout_s=90, interval_s=1)
        assert "malformed envelope" in listing[malformed_id][0]
        assert "ValidationError" in listing[invalid_id][0]
        assert "IntegrityError" in listing[blocked_event.event_id][0]
        assert constraint in listing[blocked_event.event_id][0]
        assert await rel.referrals([blocked]) == []

        # A copy of a flag handled long ago sits in the DLQ too, as after an operator's slip.
        old = await _flagged(rel, handled_long_ago.household_id)
        await publish(
            rel.platform.bootstrap,
            [
                (
                    dlq_topic(GROUP),
                    old.key.encode(),
                    old.payload.encode(),
                    [
                        *kafka_headers(old.event_type, old.event_id, "/kamkor/risk"),
                        ("dlq_source_topic", RISK_FLAGS.encode()),
                        ("dlq_source_offset", b"0"),
                        ("dlq_error", b"copied by hand"),
                    ],
                )
            ],
        )

        await rel.query("referral", f"ALTER TABLE referrals DROP CONSTRAINT {constraint}")
        out, _ = await _kamkor(
            "dlq", "replay", "--group", GROUP, "--bootstrap", rel.platform.bootstrap
        )
        replayed = _letters(out)
        assert {malformed_id, invalid_id, blocked_event.event_id, old.event_id} <= set(replayed)

        await rel.settle([handled_long_ago, blocked, after], timeout_s=60)
        await rel.check([handled_long_ago, blocked, after])

        # What can never be handled is parked again, with its error; nothing else is.
        async def parked_again() -> bool:
            out, _ = await _kamkor(
                "dlq", "list", "--group", GROUP, "--bootstrap", rel.platform.bootstrap
            )
            listing.clear()
            listing.update(_letters(out))
            return len(listing.get(malformed_id, [])) == 2 and len(listing.get(invalid_id, [])) == 2

        await wait_until(parked_again, timeout_s=60, interval_s=1)
        assert len(listing[blocked_event.event_id]) == 1
        assert len(listing[old.event_id]) == 1
