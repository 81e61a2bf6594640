"""Sibling groups: one family's children living in different households, and their meetings."""
