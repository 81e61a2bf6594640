"""Opening referrals from flags and raising their priority."""
