"""Every table of the risk service, imported so that migrations see them."""

from sqlmodel import SQLModel

from kamkor_common.idempotency import IdempotencyKey
from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.rules.models import RuleSetActivation, RuleSetState
from kamkor_risk.screenings.models import DomainAssessment, RiskFlag, Screening

metadata = SQLModel.metadata

__all__ = [
    "DomainAssessment",
    "IdempotencyKey",
    "InboxMessage",
    "OutboxMessage",
    "RiskFlag",
    "RiskHousehold",
    "RuleSetActivation",
    "RuleSetState",
    "Screening",
    "metadata",
]
