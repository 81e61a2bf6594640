"""A routed referral reaches the partner's webhook: flag → routing → outbox → delivery."""

from __future__ import annotations

import uuid
from typing import Any

from standardwebhooks.webhooks import Webhook

from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.reference.partners import SeedService
from tests.referral.webhooks.conftest import Receiver, create_endpoint, new_organization

# Home care in Batken city: nobody else in the suite offers it there.
DISTRICT = "KG-B-04"


class TestRoutedReferral:
    async def test_the_partner_routed_to_gets_a_signed_routed_webhook(
        self, referral: Any, receiver: Receiver
    ) -> None:
        service_id = str(uuid.uuid4())
        org = await new_organization(
            referral, SeedService(service_id, "home_care_support", "Home care, Batken", (DISTRICT,))
        )
        endpoint = await create_endpoint(
            referral, org, receiver.url, [referral_events.REFERRAL_ROUTED.type]
        )
        household_id = str(uuid.uuid4())
        await referral.flag(household_id, ("caregiving", "high"), region="KG-B", district=DISTRICT)
        found = await referral.wait_for_referrals(
            household_id, lambda f: f.get("home_care_support", {}).get("status") == "requested"
        )
        referral_id = found["home_care_support"]["id"]

        (got,) = await receiver.wait_for(1)
        payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
        assert payload["type"] == referral_events.REFERRAL_ROUTED.type
        assert payload["data"]["referral_id"] == referral_id
        assert payload["data"]["household_id"] == household_id
        assert payload["data"]["organization_id"] == org
        assert payload["data"]["service_id"] == service_id
        assert payload["data"]["status"] == "requested"
        # Created before routing named the partner: no organisation, no webhook for it.
        assert receiver.of_type(referral_events.REFERRAL_CREATED.type) == []


class TestWiring:
    def test_the_app_runs_the_webhook_group_and_worker(self, referral: Any) -> None:
        runtime = referral.app.state.runtime
        groups = {consumer.spec.group_id: consumer.spec for consumer in runtime.consumers}
        spec = groups["referral-webhooks"]
        assert list(spec.topics) == ["referral.referrals.v1"]
        assert referral_events.REFERRAL_ROUTED.type in spec.handlers
        assert referral_events.BED_HOLD_REQUESTED.type not in spec.handlers
        running = {timer.name: timer for timer in runtime.timers}
        assert running["webhooks"].interval_s == referral.settings.WEBHOOK_POLL_INTERVAL_S
        assert "webhook-retention" in running
