"""Checking answers (or a visit's observations) against the indicator vocabulary."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kamkor_common.errors import KamkorError, Unprocessable
from kamkor_common.indicators.schemas import AnswerValue, Indicator
from kamkor_common.indicators.vocabulary import INDICATORS_BY_CODE


class InvalidAnswers(Unprocessable):
    code = "invalid_answers"
    title = "Invalid answers"


def check_value(indicator: Indicator, value: Any) -> str | None:
    """Why a value does not fit the indicator, or None when it does."""
    # JSON booleans are Python ints: they are never accepted as numbers, nor 0/1 as booleans.
    if indicator.type == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be {'an integer' if indicator.type == 'int' else 'a number'}"
    if indicator.type == "int" and not isinstance(value, int):
        return "must be an integer"
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if indicator.minimum is not None and value < indicator.minimum:
        return f"must be at least {_number(indicator.minimum)}"
    if indicator.maximum is not None and value > indicator.maximum:
        return f"must be at most {_number(indicator.maximum)}"
    return None


def validate_answers(
    answers: Mapping[str, Any],
    *,
    field: str = "answers",
    error: type[KamkorError] = InvalidAnswers,
) -> dict[str, AnswerValue]:
    """The answers that were given, checked; raises `error` naming every bad one.

    A null answer means the question was not asked and is left out. `field` is the name
    of the input the answers came in (`answers` of a screening, `observations` of a visit).
    """
    errors: list[dict[str, str]] = []
    valid: dict[str, AnswerValue] = {}
    for code, value in answers.items():
        indicator = INDICATORS_BY_CODE.get(code)
        if indicator is None:
            errors.append(_error(field, code, "unknown indicator"))
            continue
        if value is None:
            continue
        problem = check_value(indicator, value)
        if problem is not None:
            errors.append(_error(field, code, f"{indicator.type} answer {problem}"))
            continue
        valid[code] = value
    if errors:
        names = ", ".join(e["indicator"] for e in errors)
        raise error(f"invalid {field}: {names}", errors=errors)
    return valid


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": f"{field}.{code}", "indicator": code, "message": message}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
