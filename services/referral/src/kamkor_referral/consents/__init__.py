"""The consents and legal bases on record, kept from the registry's consent events."""
