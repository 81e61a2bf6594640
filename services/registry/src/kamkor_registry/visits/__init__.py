"""Home visits of a registration round: coded observations, notes, derived facts."""
