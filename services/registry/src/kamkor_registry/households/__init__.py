"""Households, the people in them and their memberships."""
