"""Consents and legal bases for sharing a family's details."""
