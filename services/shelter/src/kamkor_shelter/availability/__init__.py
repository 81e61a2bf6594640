"""Free beds by region for anyone signed in: counts only, nothing that locates a family."""
