"""Packaging: build nexus.pyz and read the build details of a built file."""
