"""Supervisors: the unassigned queue, escalations, and assignment by hand."""
