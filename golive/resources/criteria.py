"""Criterion types over resource load."""
