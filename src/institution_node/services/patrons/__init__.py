"""Patron records: lookup and search, desk registration, blocks, notes and statistics."""
