"""The builder's pieces that need no pex run: pins, preamble, staging, messages."""

from importlib import metadata

import pytest

from nexuslite.packaging.builder import (
    describe_pex_failure,
    pin_closure,
    read_requirements,
    stage_sources,
    write_preamble,
)
from nexuslite.packaging.buildinfo import summarize_wheels
from nexuslite.packaging.targets import Target, select_targets

LEGACY_PIP_FAILURE = """\
pid 1 -> /root/.cache/pex/venvs/bin/python pex ... download --dest \
/root/.cache/pex/downloads/2/.tmp/resolver_download.3xvwkges/\
manylinux2014_x86_64-cp-315-cp315 --only-binary :all: flask exited with 1 and STDERR:
pip: ERROR: Could not find a version that satisfies the requirement MarkupSafe==3.0.3
pip: ERROR: No matching distribution found for MarkupSafe==3.0.3
"""
RESOLVER_CONFLICT = """\
pip: ERROR: Cannot install pyyaml>=6.0 because these package versions have conflicting
pip:  The conflict is caused by:
pip:      The user requested pyyaml>=6.0
pip:      The user requested (constraint) pyyaml==6.0.3
"""


def test_pins_follow_the_installed_dependency_closure():
    pins = dict(pin_closure(["flask>=3.0"]))

    assert pins["Flask"] == metadata.version("flask")
    assert pins["Werkzeug"] == metadata.version("werkzeug")
    assert "pytest" not in {name.lower() for name in pins}


def test_requirements_are_the_runtime_dependencies():
    requirements = read_requirements()

    assert any(r.startswith("pydantic-settings") for r in requirements)
    assert not any(r.startswith("pytest") for r in requirements)


def test_missing_wheel_is_one_line_naming_package_and_target():
    message = describe_pex_failure(LEGACY_PIP_FAILURE)

    assert message == (
        "no wheel of MarkupSafe==3.0.3 for manylinux2014_x86_64-cp-315-cp315; "
        "choose other targets"
    )


def test_missing_wheel_is_found_in_a_resolver_conflict():
    stderr = LEGACY_PIP_FAILURE.split("\n")[0] + "\n" + RESOLVER_CONFLICT

    message = describe_pex_failure(stderr)

    assert message.startswith(
        "no wheel of pyyaml==6.0.3 for manylinux2014_x86_64-cp-315"
    )


def test_other_pex_failure_keeps_its_last_line():
    assert (
        describe_pex_failure("a\nERROR: disk full\n") == "pex failed: ERROR: disk full"
    )


def test_preamble_is_told_its_targets(tmp_path):
    path = write_preamble(tmp_path / "p.py", (Target("3.11", "x86_64"),))
    namespace = {"__name__": "not_main"}

    exec(compile(path.read_text(), str(path), "exec"), namespace)

    assert namespace["TARGETS"] == (("3.11", "x86_64"),)


def test_staging_leaves_out_caches(tmp_path):
    staged = stage_sources(tmp_path / "s")

    assert (staged / "nexuslite" / "cli.py").is_file()
    assert (staged / "templates").is_dir() and (staged / "static").is_dir()
    assert not list(staged.rglob("__pycache__"))


def test_default_targets_are_universal():
    targets = select_targets((), ())

    assert len(targets) == 10
    assert Target("3.14", "aarch64") in targets
    assert Target("3.10", "x86_64").pex_platform == "manylinux2014_x86_64-cp-310-cp310"


def test_wheel_names_summarize_by_project():
    wheels = [
        "flask-3.1.3-py3-none-any.whl",
        "pyyaml-6.0.3-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
        "pyyaml-6.0.3-cp311-cp311-manylinux2014_aarch64.manylinux_2_17_aarch64.whl",
        "psutil-7.2.2-cp36-abi3-manylinux2010_x86_64.manylinux_2_12_x86_64.whl",
    ]

    assert summarize_wheels(wheels) == [
        ("flask 3.1.3", "any"),
        ("psutil 7.2.2", "cp36-abi3; x86_64"),
        ("pyyaml 6.0.3", "cp311; aarch64 x86_64"),
    ]


def test_a_pinned_dependency_that_dropped_a_target_python_is_named():
    from nexuslite.packaging.builder import BuildError, check_python_support
    from nexuslite.packaging.targets import Target

    # pydantic-settings declares Requires-Python >=3.10 in every supported release.
    pins = {("pydantic-settings", metadata.version("pydantic-settings"))}

    check_python_support(pins, [Target("3.10", "x86_64")])
    with pytest.raises(BuildError) as raised:
        check_python_support(pins, [Target("3.9", "aarch64")])

    message = raised.value.format_message()
    assert message.startswith("pydantic-settings ")
    assert "CPython 3.9 on aarch64" in message
