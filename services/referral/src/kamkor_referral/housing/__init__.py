"""The referral side of the housing saga: the shelters' answers to bed hold requests."""
