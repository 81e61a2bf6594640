"""Bed holds placed for referrals (the shelter side of the housing saga)."""
