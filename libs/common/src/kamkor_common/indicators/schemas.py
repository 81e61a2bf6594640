"""The shape of an indicator of the screening questionnaire."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

IndicatorType = Literal["bool", "int", "number"]
AnswerValue = bool | int | float


class Label(BaseModel):
    """One text in the three languages of the network."""

    model_config = ConfigDict(frozen=True)

    ky: str
    ru: str
    en: str


class Indicator(BaseModel):
    """A coded question: its type, its allowed range and its labels."""

    model_config = ConfigDict(frozen=True)

    code: str
    type: IndicatorType
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None
    label: Label
