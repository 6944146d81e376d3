"""Writes of the rollout app, one module per area (see docs/design/rollout.md)."""
