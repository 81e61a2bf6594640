"""One family's record, flags and referrals in a single answer."""
