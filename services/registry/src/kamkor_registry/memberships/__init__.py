"""Who lives in which household since when, a child's caregiver, and a child's moves."""
