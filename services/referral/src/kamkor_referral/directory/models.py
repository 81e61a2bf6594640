"""The partner directory, after Open Referral HSDS: organisations, services, areas."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Integer, String, Text, text
from sqlmodel import Field, SQLModel

from kamkor_referral.ids import new_id


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    type: str = Field(max_length=32)
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    contact: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    email: str | None = Field(default=None, max_length=254)
    website: str | None = Field(default=None, max_length=300)
    active: bool = True
    # Bumped by every change; served as the ETag that updates must match.
    version: int = Field(
        default=1, sa_column=Column(Integer, nullable=False, server_default=text("1"))
    )


class PartnerService(SQLModel, table=True):
    __tablename__ = "partner_services"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'inactive')", name="ck_partner_services_status"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    organization_id: str = Field(
        sa_column=Column(String(36), ForeignKey("organizations.id"), nullable=False, index=True)
    )
    service_type: str = Field(max_length=40, index=True)
    name: str = Field(max_length=200)
    status: str = Field(default="active", max_length=16)
    accepts_referrals: bool = True
    # Empty means "the organisation's languages".
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_age: int | None = None
    max_age: int | None = None
    # The sexes the service serves (`female`, `male`); empty means any.
    sex_eligibility: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default=text("'[]'")),
    )
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    open_referral_limit: int | None = None
    version: int = Field(
        default=1, sa_column=Column(Integer, nullable=False, server_default=text("1"))
    )


class ServiceArea(SQLModel, table=True):
    __tablename__ = "service_areas"
    __table_args__ = (
        CheckConstraint("kind IN ('region', 'district', 'country')", name="ck_service_areas_kind"),
    )

    service_id: str = Field(
        sa_column=Column(
            String(36),
            ForeignKey("partner_services.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    kind: str = Field(primary_key=True, max_length=16)
    code: str = Field(primary_key=True, max_length=16, index=True)
