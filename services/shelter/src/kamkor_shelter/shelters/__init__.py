"""Shelters, their bed categories and the availability computed from them."""
