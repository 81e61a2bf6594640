"""Capacity arithmetic under any sequence of operations, on PostgreSQL.

A hypothesis state machine drives the service functions the API and the consumer call
(set counts, place, repeat, release, expire and confirm holds, walk-in arrivals and
departures) against a model of the counts. After every step the shelter as read and as
last published must show
available = total - out of service - occupied - active holds, never below zero.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select
from sqlmodel import col

from kamkor_common.auth import Principal
from kamkor_common.db import Database, migrate, utcnow
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import BedHoldReleaseRequested, BedHoldRequested
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED, CapacityChanged
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_shelter.holds import service as holds_service
from kamkor_shelter.main import MIGRATIONS
from kamkor_shelter.shelters import editing as shelters_editing
from kamkor_shelter.shelters import service as shelters_service
from kamkor_shelter.shelters.schemas import CategoryUpdate, ShelterCreate, ShelterRead
from kamkor_shelter.stays import service as stays_service
from kamkor_shelter.stays.schemas import StayCreate

T = TypeVar("T")
ADMIN = Principal(subject="test-admin", role="admin")
DAY = timedelta(days=1)
CATEGORIES = ("family", "woman", "child")  # `child` starts absent: staff may open it
# No shrinking: every step is a database transaction, and shrinking a failing run of 30
# steps takes longer than the test timeout. A failure prints its whole run of steps.
MACHINE = settings(
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=15,
    stateful_step_count=30,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)


@pytest.fixture(scope="module")
async def database_url(make_database: Callable[[str], Awaitable[str]]) -> str:
    """A shelter database of this module's own: no service, consumer or timer touches it."""
    url = await make_database("shelter_props")
    database = Database(url)
    await migrate(database.engine, MIGRATIONS)
    await database.dispose()
    return url


def in_own_loop(work: Callable[[], T]) -> T:
    """Run `work` in a thread of its own, so that it may run an event loop of its own."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


# --- the model --------------------------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    out_of_service: int = 0


@dataclass
class ModelStay:
    category: str
    beds: int
    present: bool = True


@dataclass
class Hold:
    id: str
    referral_id: str
    category: str
    beds: int
    expires_at: datetime
    status: str = "held"


class CapacityMachine(RuleBasedStateMachine):
    """One shelter, changed in every way the service allows, checked against a model."""

    # Set by the test: the loop the machine runs its database calls in, and the database.
    loop: asyncio.AbstractEventLoop
    database: Database

    holds = Bundle("holds")
    stays = Bundle("stays")

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, Counts] = {}
        self.model_holds: dict[str, Hold] = {}
        self.model_stays: dict[str, ModelStay] = {}
        self.now = utcnow()
        self.shelter_id = ""

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def held(self, category: str) -> int:
        return sum(
            h.beds
            for h in self.model_holds.values()
            if h.category == category and h.status == "held"
        )

    def occupied(self, category: str) -> int:
        return sum(
            s.beds for s in self.model_stays.values() if s.category == category and s.present
        )

    def held_anywhere(self) -> bool:
        return any(h.status == "held" for h in self.model_holds.values())

    def free(self, category: str) -> int:
        counts = self.counts.get(category)
        if counts is None:
            return 0
        return counts.total - counts.out_of_service - self.occupied(category) - self.held(category)

    # --- operations -------------------------------------------------------------------------

    @initialize(family=st.integers(0, 8), woman=st.integers(0, 4))
    def create_shelter(self, family: int, woman: int) -> None:
        shelter_in = ShelterCreate(
            organization_id=str(uuid.uuid4()),
            name="Property shelter",
            region="KG-J",
            district="KG-J-09",
            beds={"family": family, "woman": woman},
        )

        async def create() -> str:
            async with self.database.sessionmaker() as session, session.begin():
                shelter = await shelters_editing.create_shelter(
                    session=session, shelter_in=shelter_in
                )
            return shelter.id

        self.shelter_id = self.run(create())
        self.counts = {"family": Counts(total=family), "woman": Counts(total=woman)}

    @rule(
        target=holds,
        category=st.sampled_from(CATEGORIES),
        beds=st.integers(1, 3),
        ttl_hours=st.integers(1, 12),
    )
    def place_hold(self, category: str, beds: int, ttl_hours: int) -> str:
        """A referral asks for beds; it gets them exactly when they are free."""
        request = BedHoldRequested(
            referral_id=str(uuid.uuid4()),
            household_id=str(uuid.uuid4()),
            shelter_id=self.shelter_id,
            category=category,
            beds=beds,
        )
        expected = self.free(category) >= beds
        outcome = self.run(self._request(request, timedelta(hours=ttl_hours)))
        if not expected:
            assert outcome.hold is None and outcome.rejection == holds_service.NO_CAPACITY
            return request.referral_id
        assert outcome.hold is not None, outcome
        self.model_holds[request.referral_id] = Hold(
            id=outcome.hold.id,
            referral_id=request.referral_id,
            category=category,
            beds=beds,
            expires_at=self.now + timedelta(hours=ttl_hours),
        )
        return request.referral_id

    @rule(target=stays, referral_id=holds)
    def family_arrives(self, referral_id: str) -> str:
        """Staff confirm the arrival: held beds become a stay, once."""
        hold = self.model_holds.get(referral_id)
        if hold is None:
            return ""

        async def confirm() -> tuple[str, str | None]:
            async with self.database.sessionmaker() as session, session.begin():
                confirmed = await holds_service.confirm_hold(
                    session=session, shelter_id=self.shelter_id, hold_id=hold.id, principal=ADMIN
                )
            return confirmed.status, confirmed.stay_id

        if hold.status in ("released", "expired"):
            with pytest.raises(holds_service.HoldNotActive):
                self.run(confirm())
            return ""
        status, stay_id = self.run(confirm())
        assert status == "confirmed" and stay_id is not None
        if hold.status == "held":
            assert stay_id not in self.model_stays
            self.model_stays[stay_id] = ModelStay(category=hold.category, beds=hold.beds)
            hold.status = "confirmed"
        return stay_id

    @rule(target=stays, category=st.sampled_from(CATEGORIES), beds=st.integers(1, 3))
    def walk_in(self, category: str, beds: int) -> str:
        """A family arrives without a hold: it gets beds exactly when they are free."""

        async def arrive() -> str:
            async with self.database.sessionmaker() as session, session.begin():
                stay = await stays_service.arrive(
                    session=session,
                    shelter_id=self.shelter_id,
                    stay_in=StayCreate(category=category, beds=beds),
                    principal=ADMIN,
                )
            return stay.id

        if self.free(category) < beds:
            with pytest.raises(stays_service.NoFreeBeds):
                self.run(arrive())
            return ""
        stay_id = self.run(arrive())
        self.model_stays[stay_id] = ModelStay(category=category, beds=beds)
        return stay_id

    @rule(stay_id=stays)
    def family_leaves(self, stay_id: str) -> None:
        """A departure frees the stay's beds; recorded again, it frees nothing more."""
        stay = self.model_stays.get(stay_id)
        if stay is None:
            return

        async def depart() -> str:
            async with self.database.sessionmaker() as session, session.begin():
                ended = await stays_service.depart(
                    session=session, shelter_id=self.shelter_id, stay_id=stay_id, principal=ADMIN
                )
            return ended.status

        assert self.run(depart()) == "departed"
        stay.present = False

    @rule(referral_id=holds)
    def release(self, referral_id: str) -> None:
        """The referral service lets a bed go (cancelled, rejected, moved on)."""
        hold = self.model_holds.get(referral_id)
        request = BedHoldReleaseRequested(
            referral_id=referral_id, shelter_id=self.shelter_id, reason="cancelled"
        )

        async def release() -> str | None:
            async with self.database.sessionmaker() as session, session.begin():
                released = await holds_service.release_hold(session=session, request=request)
            return None if released is None else released.id

        released = self.run(release())
        if hold is not None and hold.status == "held":
            assert released == hold.id
            hold.status = "released"
        else:
            assert released is None

    @rule(referral_id=holds)
    def repeat_request(self, referral_id: str) -> None:
        """The same request again (a redelivered event) takes no second bed."""
        hold = self.model_holds.get(referral_id)
        request = BedHoldRequested(
            referral_id=referral_id,
            household_id=str(uuid.uuid4()),
            shelter_id=self.shelter_id,
            category=hold.category if hold else "family",
            beds=hold.beds if hold else 1,
        )
        live = hold is not None and hold.status in ("held", "confirmed")
        expected_new = not live and self.free(request.category) >= request.beds
        outcome = self.run(self._request(request, timedelta(hours=1)))
        if live:
            assert hold is not None and outcome.hold is not None
            assert outcome.hold.id == hold.id
        elif expected_new:
            assert outcome.hold is not None
            self.model_holds[referral_id] = Hold(
                id=outcome.hold.id,
                referral_id=referral_id,
                category=request.category,
                beds=request.beds,
                expires_at=self.now + timedelta(hours=1),
            )
        else:
            assert outcome.hold is None and outcome.rejection == holds_service.NO_CAPACITY

    @rule(
        category=st.sampled_from(CATEGORIES),
        total=st.none() | st.integers(0, 8),
        out_of_service=st.none() | st.integers(0, 3),
    )
    def set_counts(self, category: str, total: int | None, out_of_service: int | None) -> None:
        """Staff set some of a category's counts."""
        given = {
            name: value
            for name, value in (("total", total), ("out_of_service", out_of_service))
            if value is not None
        }
        counts_in = CategoryUpdate.model_validate(given)
        before = self.counts.get(category, Counts())
        after = Counts(**{**before.__dict__, **given})
        taken = self.occupied(category) + self.held(category)

        async def update() -> None:
            async with self.database.sessionmaker() as session, session.begin():
                await shelters_editing.update_category(
                    session=session,
                    shelter_id=self.shelter_id,
                    category=category,
                    counts_in=counts_in,
                    if_match=None,
                    principal=ADMIN,
                )

        if after.out_of_service > after.total:
            with pytest.raises(shelters_editing.InvalidCounts):
                self.run(update())
        elif after.total - after.out_of_service - taken < 0:
            with pytest.raises(shelters_service.CapacityConflict):
                self.run(update())
        else:
            self.run(update())
            self.counts[category] = after

    @precondition(lambda self: self.held_anywhere())
    @rule(hours=st.integers(1, 3))
    def time_passes(self, hours: int) -> None:
        """The clock moves on and the expiry timer runs."""
        self.now += timedelta(hours=hours)

        async def expire() -> set[str]:
            async with self.database.sessionmaker() as session, session.begin():
                expired = await holds_service.expire_due_holds(session=session, now=self.now)
            return {h.id for h in expired if h.shelter_id == self.shelter_id}

        expired = self.run(expire())
        due = {
            h.id
            for h in self.model_holds.values()
            if h.status == "held" and h.expires_at <= self.now
        }
        assert expired == due
        for hold in self.model_holds.values():
            if hold.id in due:
                hold.status = "expired"

    async def _request(self, request: BedHoldRequested, ttl: timedelta) -> Any:
        async with self.database.sessionmaker() as session, session.begin():
            return await holds_service.request_hold(
                session=session, request=request, ttl=ttl, now=self.now
            )

    # --- what must always hold --------------------------------------------------------------

    @invariant()
    def availability_is_the_arithmetic_never_overbooked_and_published(self) -> None:
        if not self.shelter_id:
            return
        read, snapshot = self.run(self._read())
        shown = {c.category: c for c in read.categories}
        assert set(shown) == set(self.counts)
        for category, counts in self.counts.items():
            row = shown[category]
            held, occupied = self.held(category), self.occupied(category)
            assert (row.total, row.out_of_service, row.occupied, row.held) == (
                counts.total,
                counts.out_of_service,
                occupied,
                held,
            ), (category, row)
            free = counts.total - counts.out_of_service - occupied - held
            assert free >= 0, f"{category} overbooked: {row}"
            assert row.available == free, (category, row)
        # Every change publishes a full snapshot: the newest one shows the shelter as it is.
        assert [c.model_dump() for c in snapshot.categories] == [
            c.model_dump() for c in read.categories
        ]

    async def _read(self) -> tuple[ShelterRead, CapacityChanged]:
        """The shelter as the API shows it, and the newest snapshot staged for it."""
        async with self.database.sessionmaker() as session:
            read = await shelters_service.get_shelter(
                session=session, shelter_id=self.shelter_id, principal=ADMIN, stale_after=DAY
            )
            row = await session.scalar(
                select(OutboxMessage)
                .where(col(OutboxMessage.key) == self.shelter_id)
                .where(col(OutboxMessage.event_type) == CAPACITY_CHANGED)
                .order_by(col(OutboxMessage.id).desc())
                .limit(1)
            )
        assert row is not None
        event = CloudEvent.model_validate_json(row.payload)
        return read, CapacityChanged.model_validate(event.data)


def test_capacity_arithmetic_holds_for_any_sequence_of_operations(database_url: str) -> None:
    def run() -> None:
        loop = asyncio.new_event_loop()
        database = Database(database_url)
        CapacityMachine.loop, CapacityMachine.database = loop, database
        try:
            run_state_machine_as_test(CapacityMachine, settings=MACHINE)
        finally:
            loop.run_until_complete(database.dispose())
            loop.close()

    in_own_loop(run)


# --- concurrency ------------------------------------------------------------------------------


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_fifty_concurrent_requests_for_five_free_beds_hold_exactly_five(
    database: Database,
) -> None:
    async with database.sessionmaker() as session, session.begin():
        shelter = await shelters_editing.create_shelter(
            session=session,
            shelter_in=ShelterCreate.model_validate(
                {
                    "organization_id": str(uuid.uuid4()),
                    "name": "Five beds",
                    "region": "KG-J",
                    "district": "KG-J-09",
                    "beds": {"family": {"total": 7, "out_of_service": 1}},
                }
            ),
        )
        await stays_service.arrive(
            session=session,
            shelter_id=shelter.id,
            stay_in=StayCreate(category="family"),
            principal=ADMIN,
        )

    async def ask() -> holds_service.HoldOutcome:
        request = BedHoldRequested(
            referral_id=str(uuid.uuid4()),
            household_id=str(uuid.uuid4()),
            shelter_id=shelter.id,
            category="family",
        )
        async with database.sessionmaker() as session, session.begin():
            return await holds_service.request_hold(
                session=session, request=request, ttl=timedelta(hours=24)
            )

    outcomes = await asyncio.gather(*(ask() for _ in range(50)))

    assert sum(o.hold is not None for o in outcomes) == 5
    assert {o.rejection for o in outcomes if o.hold is None} == {holds_service.NO_CAPACITY}
    async with database.sessionmaker() as session:
        read = await shelters_service.get_shelter(
            session=session, shelter_id=shelter.id, principal=ADMIN, stale_after=DAY
        )
    [family] = read.categories
    assert (family.occupied, family.held, family.available) == (1, 5, 0)
