"""The one transition table: every move it allows, and a 409 naming the allowed ones."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kamkor_referral.referrals.states import (
    ACTIVE,
    FINAL,
    OPEN_AT_PARTNER,
    TRANSITIONS,
    InvalidTransition,
    ReferralStatus,
    move_to,
    sql_in,
)

S = ReferralStatus


@dataclass
class _Referral:
    status: str


class TestTable:
    def test_every_status_has_a_row(self):
        assert set(TRANSITIONS) == set(ReferralStatus)

    def test_the_design_path_is_allowed(self):
        path = [S.DRAFT, S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD, S.IN_PROGRESS]
        referral = _Referral(path[0])
        for status in path[1:]:
            move_to(referral, status)
        move_to(referral, S.COMPLETED)
        assert referral.status == S.COMPLETED

    def test_a_rejection_passes_on_to_the_next_partner_or_the_supervisors(self):
        assert TRANSITIONS[S.REJECTED] == {S.REQUESTED, S.UNASSIGNED}
        assert S.REJECTED not in ACTIVE

    def test_every_open_state_can_be_cancelled_and_no_final_one(self):
        for status in ACTIVE:
            assert S.CANCELLED in TRANSITIONS[status], status
        for status in FINAL:
            assert S.CANCELLED not in TRANSITIONS[status], status

    def test_entered_in_error_from_any_lasting_state_and_then_nothing(self):
        for status in ReferralStatus:
            if status not in (S.ENTERED_IN_ERROR, S.REJECTED):
                assert S.ENTERED_IN_ERROR in TRANSITIONS[status], status
        assert TRANSITIONS[S.ENTERED_IN_ERROR] == frozenset()

    def test_open_at_partner_is_active(self):
        assert set(OPEN_AT_PARTNER) <= set(ACTIVE)
        assert S.UNASSIGNED in ACTIVE and S.DRAFT in ACTIVE

    def test_sql_lists_the_values(self):
        assert sql_in("status", [S.DRAFT, S.REQUESTED]) == "status IN ('draft', 'requested')"
        assert sql_in("x", [S.DRAFT], nullable=True) == "x IS NULL OR x IN ('draft')"


class TestMoveTo:
    def test_a_forbidden_move_names_the_allowed_states(self):
        referral = _Referral(S.ACCEPTED)
        with pytest.raises(InvalidTransition) as raised:
            move_to(referral, S.COMPLETED)
        assert raised.value.status == 409
        assert raised.value.extra["allowed"] == ["cancelled", "entered_in_error", "in_progress"]
        assert raised.value.extra["current_status"] == "accepted"
        assert referral.status == S.ACCEPTED

    def test_returns_the_status_left(self):
        referral = _Referral("requested")
        assert move_to(referral, S.ACCEPTED) == S.REQUESTED
        assert referral.status == "accepted"
