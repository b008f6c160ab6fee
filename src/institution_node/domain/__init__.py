"""Plain-Python domain rules. Imports nothing from frameworks, drivers or I/O libraries."""
