"""The shared vocabulary's checks, named after the input they came in."""

from __future__ import annotations

import pytest

from kamkor_common.errors import Unprocessable
from kamkor_common.indicators.validation import InvalidAnswers, validate_answers


class InvalidObservations(Unprocessable):
    code = "invalid_observations"


class TestValidateAnswers:
    def test_answers_by_default(self) -> None:
        with pytest.raises(InvalidAnswers) as caught:
            validate_answers({"homeless_now": 1})
        assert caught.value.extra["errors"][0]["field"] == "answers.homeless_now"

    def test_the_caller_names_the_field_and_the_error(self) -> None:
        with pytest.raises(InvalidObservations) as caught:
            validate_answers(
                {"roof_leaks": True, "eviction_notice_days": 4},
                field="observations",
                error=InvalidObservations,
            )
        assert caught.value.code == "invalid_observations"
        assert caught.value.extra["errors"] == [
            {
                "field": "observations.roof_leaks",
                "indicator": "roof_leaks",
                "message": "unknown indicator",
            }
        ]
        assert "roof_leaks" in caught.value.detail
