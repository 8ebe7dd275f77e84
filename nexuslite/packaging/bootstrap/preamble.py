"""First code nexus.pyz runs: refuse unsupported machines, choose the cache, boot pex.

The builder prepends this file to the zipapp's ``__main__.py`` (pex's preamble), so it
runs before pex and before any bundled dependency. It therefore uses the standard
library only and keeps to syntax that even Python 2.7 parses: an old interpreter must
reach the one-line refusal, not a SyntaxError.

The builder replaces the ``TARGETS`` line with the (python, machine) pairs it bundled.
"""

# ruff: noqa: UP032  (no f-strings: they would be a SyntaxError before the refusal)

import os
import sys

TARGETS = ()

EXIT_UNSUPPORTED = 3
EXIT_USAGE = 2
CACHE_ENV = "NEXUS_CACHE_DIR"
BOOT_ARGV_ENV = "NEXUS_BOOT_ARGV"
BOOT_CACHE_ENV = "NEXUS_BOOT_CACHE"
BOOT_POINTER_ENV = "NEXUS_BOOT_POINTER"
PEX_ORIGINAL_ENV = "__PEX_EXE__"
ARGV_SEPARATOR = "\x1f"
MACHINE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}

# Short interpreter flags that take no value; only these may be split off "-S".
PLAIN_FLAGS = "bBdEiIOqsSuvx"


def describe_targets(targets):
    """Say which Pythons and machines the file carries, e.g. 'CPython 3.10-3.14'."""
    if not targets:
        return "a file built by build_zipapp.py (this is the unbuilt source)"

    versions = sorted(set(t[0] for t in targets), key=_version_key)
    machines = sorted(set(t[1] for t in targets))
    span = versions[0] if len(versions) == 1 else versions[0] + "-" + versions[-1]
    return "CPython {} on {} Linux with glibc".format(span, " or ".join(machines))


def find_unsupported(targets, implementation, version, machine, libc):
    """Return the one-line refusal for this interpreter, or None when it fits.

    ``version`` is "3.11", ``machine`` as os.uname() gives it, ``libc`` the result
    of confstr("CS_GNU_LIBC_VERSION") (None off glibc, e.g. on musl).
    """
    machine = MACHINE_ALIASES.get(machine, machine)
    fits = (
        implementation == "cpython"
        and libc is not None
        and (version, machine) in [tuple(t) for t in targets]
    )
    if fits:
        return None

    found = "{} {} on {} ({})".format(
        _implementation_name(implementation),
        version,
        machine,
        libc or "no glibc: musl or another libc",
    )
    return "nexus.pyz needs {}; found {}".format(describe_targets(targets), found)


def choose_cache_dir(environ, euid, home):
    """Pick where bundled code is unpacked; (path, is_explicit)."""
    explicit = environ.get(CACHE_ENV)
    if explicit:
        return explicit, True

    # systemd sets CACHE_DIRECTORY for units with CacheDirectory=, even when
    # ProtectHome= makes the home read-only.
    systemd = environ.get("CACHE_DIRECTORY")
    if systemd:
        return systemd.split(":")[0], False

    if euid == 0:
        return "/var/cache/nexus", False

    xdg = environ.get("XDG_CACHE_HOME") or os.path.join(home or "/", ".cache")
    return os.path.join(xdg, "nexus"), False


def ensure_writable(path):
    """Create ``path`` if needed; True when this process can write into it."""
    try:
        if not os.path.isdir(path):
            os.makedirs(path, 0o700)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def fallback_cache_dir(euid):
    """A private per-user directory under the temp dir, for a read-only home."""
    import tempfile

    path = os.path.join(tempfile.gettempdir(), "nexus-cache-{}".format(euid))
    if ensure_writable(path):
        info = os.lstat(path)
        if info.st_uid == euid and not (info.st_mode & 0o077):
            return path

    # Someone else owns the shared name: use a throwaway directory instead.
    return tempfile.mkdtemp(prefix="nexus-cache-")


def strip_no_site(args):
    """Interpreter options without -S (the bundled venv needs its site-packages)."""
    kept = []
    for arg in args:
        is_flag_cluster = (
            arg.startswith("-")
            and not arg.startswith("--")
            and len(arg) > 1
            and all(letter in PLAIN_FLAGS for letter in arg[1:])
        )
        if is_flag_cluster and "S" in arg:
            arg = arg.replace("S", "")
            if arg == "-":
                continue
        kept.append(arg)
    return kept


def _implementation_name(implementation):
    return {"cpython": "CPython", "pypy": "PyPy"}.get(implementation, implementation)


def _version_key(version):
    return tuple(int(part) for part in version.split("."))


def _current_libc():
    try:
        return os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        pass

    # Old interpreters lack the confstr name; this slower probe runs only for them.
    import platform

    name, version = platform.libc_ver()
    return "{} {}".format(name, version) if name == "glibc" else None


def _refuse_if_unsupported():
    implementation = getattr(sys, "implementation", None)
    problem = find_unsupported(
        TARGETS,
        implementation.name if implementation else "cpython",
        "{}.{}".format(*sys.version_info[:2]),
        os.uname()[4],
        _current_libc(),
    )
    if problem:
        sys.stderr.write(problem + "\n")
        sys.exit(EXIT_UNSUPPORTED)


def _set_cache_dir():
    """Export the chosen cache directory to pex (PEX_ROOT); return it."""
    euid = os.geteuid()
    path, is_explicit = choose_cache_dir(os.environ, euid, os.environ.get("HOME"))
    if not ensure_writable(path):
        if is_explicit:
            sys.stderr.write(
                "Error: {}={} is not a writable directory; point it at one\n".format(
                    CACHE_ENV, path
                )
            )
            sys.exit(EXIT_USAGE)
        path = fallback_cache_dir(euid)
    os.environ["PEX_ROOT"] = path

    # Pex hides PEX_ROOT from the program it runs; the cache check needs it.
    os.environ[BOOT_CACHE_ENV] = path
    return path


def _boot_argv():
    """[python, options..., nexus.pyz] as the operator started this process.

    On a cold start pex runs this preamble a second time from its unpacked copy,
    naming the original file in __PEX_EXE__.
    """
    prefix = sys.orig_argv[: len(sys.orig_argv) - len(sys.argv) + 1]
    pyz = os.environ.get(PEX_ORIGINAL_ENV) or prefix[-1]
    return [sys.executable] + prefix[1:-1] + [pyz]


def pointer_path(cache_dir, pyz, python):
    """Where the venv of this file, for this interpreter, is remembered.

    The key changes whenever the file or the interpreter does, so a pointer never
    leads an upgraded nexus.pyz into an older venv.
    """
    import hashlib

    info = os.stat(pyz)
    identity = "\n".join(
        [
            os.path.realpath(pyz),
            str(info.st_size),
            str(info.st_mtime),
            python,
            sys.version,
        ]
    )
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]
    return os.path.join(cache_dir, "nexus-boot", digest)


def venv_command(venv_pex, python_args, args):
    """The command pex itself runs for a ready venv, read from its script's shebang."""
    with open(venv_pex) as stream:
        shebang = stream.readline()
    venv_python, _, extra = shebang[2:].strip().partition(" ")
    return [venv_python] + python_args + ([extra] if extra else []) + [venv_pex] + args


def _run_known_venv(pointer, boot_argv):
    """Skip pex's own start-up when this file's venv is known and still there."""
    try:
        with open(pointer) as stream:
            venv_pex = stream.read().strip()
        command = venv_command(venv_pex, boot_argv[1:-1], sys.argv[1:])
    except OSError:
        return  # first start, or the venv was discarded: pex builds it

    os.environ["PEX"] = os.path.realpath(boot_argv[-1])
    os.execv(command[0], command)


def _restart_with_site_if_needed(boot_argv):
    if not sys.flags.no_site:
        return

    os.execv(sys.executable, strip_no_site(boot_argv) + sys.argv[1:])


def _main():
    _refuse_if_unsupported()
    boot_argv = _boot_argv()
    _restart_with_site_if_needed(boot_argv)
    cache_dir = _set_cache_dir()

    # The entry point re-runs this command if it has to rebuild a damaged cache,
    # and records the venv it runs in for the next start.
    os.environ[BOOT_ARGV_ENV] = ARGV_SEPARATOR.join(boot_argv)
    pointer = pointer_path(cache_dir, boot_argv[-1], sys.executable)
    os.environ[BOOT_POINTER_ENV] = pointer
    _run_known_venv(pointer, boot_argv)


if __name__ == "__main__":
    _main()
