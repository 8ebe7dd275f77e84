"""The install layer."""
