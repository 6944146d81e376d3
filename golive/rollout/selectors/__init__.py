"""Reads of the rollout app, with the access check, one module per area."""
