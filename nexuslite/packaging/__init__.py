"""Packaging: build details of the running artefact."""
