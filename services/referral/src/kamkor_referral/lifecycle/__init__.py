"""A referral's life after acceptance: started, on hold, completed or failed; cancelled by staff."""
