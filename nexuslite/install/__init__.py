"""The install layer: preflight checks, self-install as systemd services, uninstall.

Checks and plans are data (``preflight``, ``plan``); ``installer`` and ``uninstaller``
carry them out through ``transaction``; only ``commands`` prints.
"""
