"""What the referral API accepts: a rejection reason is a note, with line breaks only."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kamkor_referral.referrals.schemas import ReferralReject


class TestReferralReject:
    def test_a_reason_keeps_its_line_breaks_and_tabs(self) -> None:
        reason = "No beds this week.\n\tCall again on Monday."
        assert ReferralReject(reason=reason).reason == reason

    @pytest.mark.parametrize("reason", ["no\x00beds", "\x1b[2J", "no beds\x7f"])
    def test_other_control_characters_are_refused(self, reason) -> None:
        with pytest.raises(ValidationError, match="should match pattern"):
            ReferralReject(reason=reason)

    @pytest.mark.parametrize("reason", ["", "   ", "\n\t", "x" * 1001])
    def test_an_empty_or_overlong_reason_is_refused(self, reason) -> None:
        with pytest.raises(ValidationError):
            ReferralReject(reason=reason)
