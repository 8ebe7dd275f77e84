"""Logging set-up: one ``nexuslite`` root logger, configured once per process."""

import logging
import sys

ROOT = "nexuslite"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send ``nexuslite.*`` records to stderr; safe to call more than once."""
    root = logging.getLogger(ROOT)
    root.setLevel(level.upper())

    if not any(getattr(h, "_nexus", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler._nexus = True
        root.addHandler(handler)

    root.propagate = False
