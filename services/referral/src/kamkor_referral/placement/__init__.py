"""Addressing a referral to a partner as a new attempt, or escalating it."""
