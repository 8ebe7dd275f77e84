"""Build details of the running copy (a checkout, or a built nexus.pyz)."""

import sys


def describe_build() -> list[str]:
    """Lines for ``nexus version`` beyond the version itself."""
    return [f"python {sys.version.split()[0]} ({sys.executable})", "build: source checkout"]
