"""The agent layer."""
