"""Patron requests: placing, the life cycle, the hold shelf, letters and staff views."""
