"""Build dist/nexus.pyz: one file that runs NexusLite with the node's own CPython.

By default the file is universal (CPython 3.10-3.14 on x86_64 and aarch64 Linux);
``--python`` and ``--platform`` build a smaller file for fewer targets. Set
SOURCE_DATE_EPOCH for a reproducible build. Needs pex and network access to PyPI.
"""

import os
from pathlib import Path

import click

from nexuslite.errors import ConfigError
from nexuslite.packaging.builder import BuildRequest, build
from nexuslite.packaging.buildinfo import describe_pyz
from nexuslite.packaging.targets import MACHINES, current_target, select_targets

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "dist" / "nexus.pyz"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--python",
    "pythons",
    multiple=True,
    metavar="X.Y",
    help="CPython version to carry wheels for; repeat for several (default: all).",
)
@click.option(
    "--platform",
    "machines",
    multiple=True,
    type=click.Choice(MACHINES),
    help="Machine to carry wheels for; repeat for several (default: all).",
)
@click.option(
    "--current",
    is_flag=True,
    help="Build only for the interpreter and machine running this script.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
)
def main(
    pythons: tuple[str, ...], machines: tuple[str, ...], current: bool, output: Path
) -> None:
    """Build nexus.pyz with NexusLite and all its dependencies inside."""
    targets = [current_target()] if current else select_targets(pythons, machines)
    for target in targets:
        check_python_version(target.python)

    click.echo(f"building {output} for {len(targets)} target(s) ...", err=True)
    request = BuildRequest(output, tuple(targets), read_source_date_epoch())
    build(request)

    click.echo(f"built {output} ({output.stat().st_size / 1e6:.1f} MB)")
    for line in describe_pyz(output):
        click.echo(f"  {line}")


def check_python_version(version: str) -> None:
    major, _, minor = version.partition(".")
    if not (major == "3" and minor.isdigit() and int(minor) >= 10):
        raise ConfigError(f"invalid --python {version!r}: expected 3.10 or later")


def read_source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return None
    if not value.isdigit():
        raise ConfigError(f"invalid SOURCE_DATE_EPOCH={value!r}: expected seconds")
    return int(value)


if __name__ == "__main__":
    main()
