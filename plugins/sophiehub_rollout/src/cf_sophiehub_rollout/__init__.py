"""Connector Factory target ``sophiehub-rollout``."""
