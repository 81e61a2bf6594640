"""The audit trail of every read and change of a family's or a person's record."""
