"""The preamble's decisions, with fake interpreters, machines and environments."""

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from nexuslite.packaging.bootstrap import preamble
from nexuslite.packaging.bootstrap.preamble import (
    choose_cache_dir,
    ensure_writable,
    find_unsupported,
    strip_no_site,
)

UNIVERSAL = [
    (python, machine)
    for machine in ("x86_64", "aarch64")
    for python in ("3.10", "3.11", "3.12", "3.13", "3.14")
]
GLIBC = "glibc 2.36"


def test_supported_interpreter_passes():
    assert find_unsupported(UNIVERSAL, "cpython", "3.12", "x86_64", GLIBC) is None


def test_arm64_is_read_as_aarch64():
    assert find_unsupported(UNIVERSAL, "cpython", "3.10", "arm64", GLIBC) is None


def test_python_39_is_refused_saying_what_is_needed_and_found():
    message = find_unsupported(UNIVERSAL, "cpython", "3.9", "x86_64", GLIBC)

    assert message == (
        "nexus.pyz needs CPython 3.10-3.14 on aarch64 or x86_64 Linux with glibc; "
        "found CPython 3.9 on x86_64 (glibc 2.36)"
    )


def test_musl_is_refused():
    message = find_unsupported(UNIVERSAL, "cpython", "3.12", "x86_64", None)

    assert message.endswith(
        "found CPython 3.12 on x86_64 (no glibc: musl or another libc)"
    )


def test_unknown_machine_is_refused():
    message = find_unsupported(UNIVERSAL, "cpython", "3.12", "riscv64", GLIBC)

    assert "found CPython 3.12 on riscv64" in message


def test_other_implementation_is_refused():
    message = find_unsupported(UNIVERSAL, "pypy", "3.10", "x86_64", GLIBC)

    assert "found PyPy 3.10" in message


def test_single_target_build_names_its_one_version():
    message = find_unsupported([("3.11", "x86_64")], "cpython", "3.12", "x86_64", GLIBC)

    assert message.startswith(
        "nexus.pyz needs CPython 3.11 on x86_64 Linux with glibc;"
    )


def test_explicit_cache_setting_wins():
    env = {"NEXUS_CACHE_DIR": "/srv/c", "CACHE_DIRECTORY": "/var/cache/x"}

    assert choose_cache_dir(env, 0, "/root") == ("/srv/c", True)


def test_systemd_cache_directory_is_used_before_the_home():
    env = {"CACHE_DIRECTORY": "/var/cache/nexus:/var/cache/other"}

    assert choose_cache_dir(env, 1000, "/home/op") == ("/var/cache/nexus", False)


def test_root_uses_var_cache():
    assert choose_cache_dir({}, 0, "/root") == ("/var/cache/nexus", False)


def test_user_uses_xdg_cache():
    env = {"XDG_CACHE_HOME": "/home/op/.xdg"}

    assert choose_cache_dir(env, 1000, "/home/op") == ("/home/op/.xdg/nexus", False)
    assert choose_cache_dir({}, 1000, "/home/op") == ("/home/op/.cache/nexus", False)


def test_directory_that_cannot_be_created_is_not_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")

    assert not ensure_writable(str(blocker / "cache"))
    assert ensure_writable(str(tmp_path / "new" / "cache"))


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (
            ["/usr/bin/python3", "-I", "-S", "x.pyz"],
            ["/usr/bin/python3", "-I", "x.pyz"],
        ),
        (["python3", "-IS", "x.pyz"], ["python3", "-I", "x.pyz"]),
        (["python3", "-X", "dev", "-S", "x.pyz"], ["python3", "-X", "dev", "x.pyz"]),
        (
            ["python3", "-W", "error", "-S", "x.pyz"],
            ["python3", "-W", "error", "x.pyz"],
        ),
    ],
)
def test_no_site_flag_is_dropped_and_nothing_else(given, kept):
    assert strip_no_site(given) == kept


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.9"])
def test_old_interpreters_parse_the_preamble(find_python, version):
    python = find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")

    source = Path(preamble.__file__)
    check = f"compile(open({str(source)!r}).read(), 'preamble', 'exec')"
    result = subprocess.run([python, "-c", check], capture_output=True, text=True)

    assert result.returncode == 0, result.stderr


def test_two_builds_with_the_same_path_size_and_time_get_two_pointers(tmp_path):
    pyz = tmp_path / "nexus.pyz"
    pointers = []
    for built_at in ("2023-11-14", "2024-01-01"):
        with zipfile.ZipFile(pyz, "w") as archive:
            archive.writestr("nexuslite/packaging/build.json", built_at)
        os.utime(pyz, (1_700_000_000, 1_700_000_000))
        pointers.append(preamble.pointer_path("/cache", str(pyz), "/usr/bin/python3"))

    assert pointers[0] != pointers[1]
    assert all(p.startswith("/cache/nexus-boot/") for p in pointers)


def test_file_that_is_not_a_zip_has_no_pointer(tmp_path):
    text = tmp_path / "nexus.pyz"
    text.write_text("print('hello')\n")

    assert preamble.pointer_path("/cache", str(text), "/usr/bin/python3") is None


def test_usable_cache_with_junk_inside_passes(tmp_path):
    (tmp_path / "venvs" / "4").mkdir(parents=True)
    (tmp_path / "access.lck").write_text("")
    (tmp_path / "venvs" / "4" / "junk.txt").write_text("junk")
    (tmp_path / "nexus-boot").mkdir()
    (tmp_path / "nexus-boot" / "0123abcd").write_text("/venv/pex")

    assert preamble.find_unusable(str(tmp_path)) is None


def test_file_where_a_cache_directory_belongs_is_unusable(tmp_path):
    (tmp_path / "venvs").mkdir()
    (tmp_path / "venvs" / "4").write_text("junk")

    found = preamble.find_unusable(str(tmp_path))

    assert found == (str(tmp_path / "venvs" / "4"), "is not a directory")
