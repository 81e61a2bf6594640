"""Every table of the registry service, imported so that migrations see them."""

from sqlmodel import SQLModel

from kamkor_common.idempotency import IdempotencyKey
from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_registry.audit.models import AuditEntry
from kamkor_registry.consents.models import Consent
from kamkor_registry.duplicates.models import DuplicateCandidate
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.intake.models import HouseholdRef, IntakeChunk, IntakeJob, IntakeRowResult
from kamkor_registry.siblings.models import SiblingGroup, SiblingGroupMember
from kamkor_registry.visits.models import HomeVisit

metadata = SQLModel.metadata

__all__ = [
    "AuditEntry",
    "Consent",
    "DuplicateCandidate",
    "HomeVisit",
    "Household",
    "HouseholdMember",
    "HouseholdRef",
    "IdempotencyKey",
    "InboxMessage",
    "IntakeChunk",
    "IntakeJob",
    "IntakeRowResult",
    "OutboxMessage",
    "Person",
    "SiblingGroup",
    "SiblingGroupMember",
    "metadata",
]
