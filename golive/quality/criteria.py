"""Criterion types over tests, defects and sign-offs."""
