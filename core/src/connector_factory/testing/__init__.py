"""Test helpers for plugin authors: real servers started and stopped by tests."""
