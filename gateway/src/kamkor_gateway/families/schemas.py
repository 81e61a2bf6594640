"""The composed family view."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

FamilyPart = Literal["flags", "referrals"]


class FamilyRead(BaseModel):
    household: dict[str, Any] = Field(
        description="The household as the registry returns it "
        "(`GET /api/v1/registry/households/{id}`)."
    )
    flags: list[dict[str, Any]] | None = Field(
        description="The household's risk flags (`GET /api/v1/risk/flags`); "
        "null when the risk service could not answer."
    )
    referrals: list[dict[str, Any]] | None = Field(
        description="The household's referrals (`GET /api/v1/referrals`), each with its "
        "`history`: every status it went through, with when and by whom; "
        "null when the referral service could not answer."
    )
    partial: list[FamilyPart] = Field(
        default_factory=list,
        description="The parts that are missing from this answer (empty when it is complete).",
    )
