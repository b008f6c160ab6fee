"""Importing real data: patrons and items (CSV), bibliographic records (MARC, MARCXML).

Each import checks every row first and reports each problem with its line (CSV, MARCXML) or
record number (binary MARC); a file with problems loads nothing unless bad rows are skipped
on request. Rows are upserts keyed by the natural id (primary id, barcode, record id), so an
import is safe to run again: unchanged rows are left alone. Formats: docs/IMPORT.md.
"""
