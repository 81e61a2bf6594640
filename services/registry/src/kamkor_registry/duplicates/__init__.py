"""Duplicate records: candidates found on registration, merges and dismissals."""
