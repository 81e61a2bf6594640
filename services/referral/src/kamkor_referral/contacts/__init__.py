"""A family's contact details for the partner that took its referral, consent permitting."""
