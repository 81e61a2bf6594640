"""People: their records, PIN checks, parents' migration and a child's moves."""
