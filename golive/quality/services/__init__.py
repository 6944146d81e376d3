"""Writes on requirements, tests, results, defects and sign-offs (one module per area)."""
