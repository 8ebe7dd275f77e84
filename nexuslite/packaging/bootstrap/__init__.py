"""Start-up code of nexus.pyz: standard library only (see README.md)."""
