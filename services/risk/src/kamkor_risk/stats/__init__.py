"""Aggregates of screenings and flags for analysts, small counts suppressed."""
