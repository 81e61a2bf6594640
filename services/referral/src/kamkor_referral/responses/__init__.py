"""Partners' answers to their referrals and the response deadlines."""
