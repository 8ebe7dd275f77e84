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

# venvs/<version>/<pex hash>: deep enough to find a cache another user wrote into,
# shallow enough to cost a millisecond or two per start.
CACHE_CHECK_DEPTH = 3
CACHE_LOCK_FILE = "access.lck"  # the only file pex keeps in the top two levels
POINTER_DIR = "nexus-boot"  # ours, beside pex's: files naming a checked venv
# The zip's end-of-central-directory record: its signature and fixed size.
ZIP_END_SIGNATURE = b"PK\x05\x06"
ZIP_END_SIZE = 22


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


def find_unusable(path, depth=CACHE_CHECK_DEPTH):
    """What stops this process from using the cache at ``path``, or None.

    (entry, problem) for the first entry, ``depth`` levels down at most, that it
    cannot write (a cache chmod-ed, or partly written by another user) or that is
    a file where pex keeps directories; (path, None) when ``path`` itself is no
    writable directory. Pex writes lock files and entries at every one of these
    levels.
    """
    if not ensure_writable(path):
        return path, None

    pending = [(path, 1)]
    while pending:
        directory, level = pending.pop()
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            return directory, "is not readable"

        for name in names:
            entry = os.path.join(directory, name)
            if os.path.islink(entry):
                continue

            is_dir = os.path.isdir(entry)
            if not is_dir and _holds_directories(directory, level, name):
                return entry, "is not a directory"
            if not os.access(entry, os.W_OK | (os.X_OK if is_dir else 0)):
                return entry, "is not writable"
            if is_dir and level < depth:
                pending.append((entry, level + 1))
    return None


def _holds_directories(directory, level, name):
    """Whether pex keeps only directories where ``name`` is (two levels down)."""
    if level == 1:
        return name != CACHE_LOCK_FILE
    return level == 2 and os.path.basename(directory) != POINTER_DIR


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
    unusable = find_unusable(path)
    if unusable is not None:
        if is_explicit:
            _refuse_cache_dir(path, *unusable)
        path = fallback_cache_dir(euid)

    # Absolute, so a process that changes directory still finds its cache.
    path = os.path.abspath(path)
    os.environ["PEX_ROOT"] = path

    # Pex hides PEX_ROOT from the program it runs; the cache check needs it.
    os.environ[BOOT_CACHE_ENV] = path
    return path


def _refuse_cache_dir(path, entry, problem):
    if problem is None:
        message = "{}={} is not a writable directory; point it at one"
        sys.stderr.write("Error: " + message.format(CACHE_ENV, path) + "\n")
    else:
        message = "{}={} cannot be used: {} {}; point it at another directory"
        sys.stderr.write(
            "Error: " + message.format(CACHE_ENV, path, entry, problem) + "\n"
        )
    sys.exit(EXIT_USAGE)


def _leave_deleted_directory(cache_dir):
    """Pex needs a working directory; a deleted one is swapped for the cache's."""
    try:
        os.getcwd()
    except OSError:
        os.chdir(cache_dir)


def _boot_argv():
    """[python, options..., nexus.pyz] as the operator started this process.

    On a cold start pex runs this preamble a second time from its unpacked copy,
    naming the original file in __PEX_EXE__.
    """
    prefix = sys.orig_argv[: len(sys.orig_argv) - len(sys.argv) + 1]
    pyz = os.environ.get(PEX_ORIGINAL_ENV) or prefix[-1]
    return [sys.executable] + prefix[1:-1] + [pyz]


def pointer_path(cache_dir, pyz, python):
    """Where the venv of this file, for this interpreter, is remembered; None when
    the file is not a readable zip.

    The key is the file's content (its zip directory: every member's name, size
    and CRC) and the interpreter, so a pointer never leads another build of
    nexus.pyz, even one at the same path with the same size and time, into this
    build's venv.
    """
    import hashlib

    directory = read_zip_directory(pyz)
    if directory is None:
        return None

    identity = hashlib.sha256(directory)
    identity.update("\n".join(["", python, sys.version]).encode("utf-8"))
    return os.path.join(cache_dir, POINTER_DIR, identity.hexdigest()[:32])


def read_zip_directory(path):
    """The central directory and end record of the zip at ``path``, or None."""
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            tail_size = min(size, ZIP_END_SIZE + 0xFFFF)  # the record and a comment
            stream.seek(size - tail_size)
            tail = stream.read()
            end = tail.rfind(ZIP_END_SIGNATURE)
            if end < 0 or len(tail) - end < ZIP_END_SIZE:
                return None

            directory_size = _read_uint32(tail, end + 12)
            start = size - tail_size + end - directory_size
            if start < 0:
                return None
            stream.seek(start)
            return stream.read(directory_size) + tail[end:]
    except OSError:
        return None


def venv_command(venv_pex, python_args, args):
    """The command pex itself runs for a ready venv, read from its script's shebang."""
    with open(venv_pex, "rb") as stream:
        shebang = stream.readline().decode("utf-8")
    if not shebang.startswith("#!"):
        raise ValueError("{} has no shebang".format(venv_pex))

    venv_python, _, extra = shebang[2:].strip().partition(" ")
    return [venv_python] + python_args + ([extra] if extra else []) + [venv_pex] + args


def known_venv_command(pointer, cache_dir, python_args, args):
    """The command that runs the venv ``pointer`` names, or None when there is
    none to trust: first start, a discarded venv, or a damaged pointer.
    """
    try:
        with open(pointer, "rb") as stream:
            venv_pex = stream.read().decode("utf-8").strip()
        command = venv_command(venv_pex, python_args, args)
    except (OSError, ValueError):
        return None

    inside = [_is_inside(path, cache_dir) for path in (venv_pex, command[0])]
    if not all(inside):
        return None

    if not os.access(command[0], os.X_OK):
        # Pex would exec this interpreter too, and fail: rebuild the venv.
        discard_venv(os.path.dirname(venv_pex))
        return None
    return command


def discard_venv(venv):
    """Move the venv (reached through pex's short alias) aside and delete it."""
    import shutil

    for entry in (os.path.realpath(venv), os.path.dirname(venv)):
        trash = os.path.join(
            os.path.dirname(entry),
            ".{}.damaged-{}".format(os.path.basename(entry), os.getpid()),
        )
        try:
            os.rename(entry, trash)
        except OSError:
            continue  # gone already, or another process got there first
        shutil.rmtree(trash, ignore_errors=True)


def _run_known_venv(pointer, boot_argv, cache_dir):
    """Skip pex's own start-up when this file's venv is known and still there."""
    command = known_venv_command(pointer, cache_dir, boot_argv[1:-1], sys.argv[1:])
    if command is None:
        return

    os.environ["PEX"] = os.path.realpath(boot_argv[-1])
    try:
        os.execv(command[0], command)
    except OSError:
        del os.environ["PEX"]  # the venv broke just now: pex rebuilds it


def _is_inside(path, directory):
    """Whether ``path`` is under ``directory``, reading neither's symlinks but
    allowing for a ``directory`` reached through one.
    """
    path = os.path.normpath(path)
    roots = set([os.path.normpath(directory), os.path.realpath(directory)])
    return any(path.startswith(os.path.join(root, "")) for root in roots)


def _read_uint32(data, offset):
    import struct

    return struct.unpack("<I", data[offset : offset + 4])[0]


def _report_damaged_file(pyz, previous_hook):
    """An excepthook: a damaged zip member is one line, not pex's traceback."""

    def report(kind, error, trace):
        if kind.__module__ in ("zipfile", "zlib"):
            sys.stderr.write(
                "Error: {} is damaged ({}); copy the file again\n".format(pyz, error)
            )
            return
        previous_hook(kind, error, trace)

    return report


def _restart_with_site_if_needed(boot_argv):
    if not sys.flags.no_site:
        return

    os.execv(sys.executable, strip_no_site(boot_argv) + sys.argv[1:])


def _main():
    _refuse_if_unsupported()
    boot_argv = _boot_argv()
    _restart_with_site_if_needed(boot_argv)
    cache_dir = _set_cache_dir()
    _leave_deleted_directory(cache_dir)

    # The entry point re-runs this command if it has to rebuild a damaged cache,
    # and records the venv it runs in for the next start.
    os.environ[BOOT_ARGV_ENV] = ARGV_SEPARATOR.join(boot_argv)
    pointer = pointer_path(cache_dir, boot_argv[-1], sys.executable)
    if pointer is not None:
        os.environ[BOOT_POINTER_ENV] = pointer
        _run_known_venv(pointer, boot_argv, cache_dir)

    # From here pex unpacks the file, which is where a damaged copy shows.
    sys.excepthook = _report_damaged_file(boot_argv[-1], sys.excepthook)


if __name__ == "__main__":
    _main()
