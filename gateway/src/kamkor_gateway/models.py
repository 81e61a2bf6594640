"""Every table of the gateway, imported so that migrations see them."""

from sqlmodel import SQLModel

from kamkor_gateway.clients.models import ApiClient, ApiClientAudit

metadata = SQLModel.metadata

__all__ = ["ApiClient", "ApiClientAudit", "metadata"]
