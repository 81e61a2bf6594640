"""Regions and districts: static reference data served read-only."""
