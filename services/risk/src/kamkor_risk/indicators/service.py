"""The questionnaire's vocabulary, as the risk service serves and checks it.

The vocabulary and its checks live in `kamkor_common.indicators`, so that the registry
checks a home visit's observations with the very same rules.
"""

from __future__ import annotations

from kamkor_common.indicators.schemas import Indicator
from kamkor_common.indicators.validation import InvalidAnswers, check_value, validate_answers
from kamkor_common.indicators.vocabulary import INDICATORS, INDICATORS_BY_CODE

__all__ = ["InvalidAnswers", "check_value", "get_indicator", "list_indicators", "validate_answers"]


def list_indicators() -> list[Indicator]:
    """The whole vocabulary, in questionnaire order."""
    return list(INDICATORS)


def get_indicator(code: str) -> Indicator | None:
    return INDICATORS_BY_CODE.get(code)
