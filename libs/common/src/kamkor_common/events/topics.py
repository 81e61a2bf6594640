"""Topic names and the partition counts they are created with."""

from __future__ import annotations

REGISTRY_HOUSEHOLDS = "registry.households.v1"
RISK_FLAGS = "risk.flags.v1"
REFERRAL_REFERRALS = "referral.referrals.v1"
SHELTER_CAPACITY = "shelter.capacity.v1"

PARTITIONS: dict[str, int] = {
    REGISTRY_HOUSEHOLDS: 4,
    RISK_FLAGS: 4,
    REFERRAL_REFERRALS: 4,
    SHELTER_CAPACITY: 2,
}


def dlq_topic(consumer_group: str) -> str:
    """The dead-letter topic of a consumer group."""
    return f"dlq.{consumer_group}.v1"
