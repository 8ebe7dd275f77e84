"""Build targets of nexus.pyz: which CPython versions and machines it carries.

A target names a CPython minor version and a machine; wheels are chosen for glibc
Linux at the manylinux2014 level (glibc 2.17), which every supported distribution
meets. The default build is universal: every supported version on both machines.
"""

import os
import sys
from dataclasses import dataclass

PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
MACHINES = ("x86_64", "aarch64")
MANYLINUX = "manylinux2014"


@dataclass(frozen=True, order=True)
class Target:
    """One CPython minor version on one machine."""

    python: str
    machine: str

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")

    @property
    def pex_platform(self) -> str:
        """Pex's abbreviated platform, e.g. manylinux2014_x86_64-cp-311-cp311."""
        return f"{MANYLINUX}_{self.machine}-cp-{self.abi[2:]}-{self.abi}"

    def __str__(self) -> str:
        return f"CPython {self.python} on {self.machine}"


def select_targets(pythons: tuple[str, ...], machines: tuple[str, ...]) -> list[Target]:
    """Every pair of the requested versions and machines; empty means all."""
    return [
        Target(python, machine)
        for machine in machines or MACHINES
        for python in pythons or PYTHONS
    ]


def current_target() -> Target:
    """The target of the interpreter running this code."""
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return Target(python, os.uname().machine)
