"""The routers and consumer groups of the registry service."""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_common.service import Timer
from kamkor_registry.audit.router import router as audit_router
from kamkor_registry.consents.router import router as consents_router
from kamkor_registry.duplicates.router import router as duplicates_router
from kamkor_registry.households.router import router as households_router
from kamkor_registry.intake import worker as intake_worker
from kamkor_registry.intake.router import router as intake_router
from kamkor_registry.memberships.router import router as memberships_router
from kamkor_registry.persons.router import router as persons_router
from kamkor_registry.regions.router import router as regions_router
from kamkor_registry.search.router import router as search_router
from kamkor_registry.siblings.router import router as siblings_router
from kamkor_registry.visits.router import router as visits_router

ROUTERS: list[APIRouter] = [
    regions_router,
    households_router,
    intake_router,
    duplicates_router,
    memberships_router,
    # Before the persons routes, so that /persons/search is not read as a person id.
    search_router,
    persons_router,
    consents_router,
    visits_router,
    siblings_router,
    audit_router,
]
CONSUMERS: list[ConsumerSpec] = []
TIMERS: list[Timer] = [Timer("intake", intake_worker.POLL_INTERVAL_S, intake_worker.run_pending)]
