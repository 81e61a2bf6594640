"""The indicator vocabulary shared by screenings (risk) and home-visit observations (registry)."""
