"""The systemd units an install writes, filled in from the ``systemd/`` templates."""

import zipfile
from pathlib import Path
from string import Template

from nexuslite.install import paths
from nexuslite.install.options import InstallOptions
from nexuslite.resources import PROJECT_ROOT

TEMPLATE_DIR = PROJECT_ROOT / "systemd"


def read_template(name: str, template_dir: Path = TEMPLATE_DIR) -> Template:
    """A template from a checkout, or from inside the zipapp it was packed into."""
    path = template_dir / name
    if path.is_file():
        return Template(path.read_text(encoding="utf-8"))

    # Inside nexus.pyz the folder is a member path of the zip file, not a directory.
    for parent in path.parents:
        if parent.is_file() and zipfile.is_zipfile(parent):
            with zipfile.ZipFile(parent) as archive:
                member = path.relative_to(parent).as_posix()
                return Template(archive.read(member).decode("utf-8"))

    raise FileNotFoundError(f"unit template {name} is missing from {template_dir}")


def render_dashboard_unit(python: str) -> str:
    return read_template(paths.DASHBOARD_UNIT).substitute(
        python=python,
        pyz=paths.PYZ,
        env_file=paths.ENV_FILE,
        state_dir=paths.STATE_DIR,
    )


def render_agent_unit(python: str, options: InstallOptions) -> str:
    # A manager without the worker role runs no services, so it has no services.yml.
    agent_args = f" --config {paths.SERVICES_FILE}" if options.is_worker else ""
    return read_template(paths.AGENT_UNIT).substitute(
        python=python,
        pyz=paths.PYZ,
        agent_args=agent_args,
        env_file=paths.ENV_FILE,
        state_dir=paths.STATE_DIR,
    )


def render_consul_unit(consul: str) -> str:
    return read_template(paths.CONSUL_UNIT).substitute(
        consul=consul, config_dir=paths.CONSUL_CONFIG_DIR
    )


def render_consul_dropin() -> str:
    return read_template("consul-nexus.conf").substitute()
