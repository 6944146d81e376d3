"""Reads of quality records, each with the access check (one module per area)."""
