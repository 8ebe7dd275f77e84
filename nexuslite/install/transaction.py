"""Write a set of files all or nothing: temporary siblings, renames, and an undo.

Every new file is first written beside its target and renamed over it, so no reader
ever sees half a file. The file it replaces is kept (hard-linked) until the whole
install succeeds; if anything fails part-way, ``rollback`` puts every file back.

A journal listing the files is written before the first one changes and removed
once the transaction is over. A process killed part-way (kill -9, power loss)
leaves the journal behind, and ``recover`` uses it to put the previous files back.
"""

import fcntl
import json
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nexuslite.errors import NexusError

_TEMP = ".nexus-new"
_UNDO = ".nexus-undo"
JOURNAL = PurePosixPath("/etc/nexus/.install-journal")
# Signals that end a process from outside: each rolls an install back, like Ctrl-C.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(NexusError):
    """A stop signal arrived while files were changing; they were put back."""


@dataclass(frozen=True)
class FileChange:
    """A file to write (``content``, or a copy of ``source``); with neither, delete."""

    target: PurePosixPath
    path: Path
    mode: int = 0o644
    content: bytes | None = None
    source: Path | None = None

    @property
    def deletes(self) -> bool:
        return self.content is None and self.source is None


class FileTransaction:
    """Apply FileChanges atomically per file and restorably as a whole."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock_fd: int | None = None
        self._staged: list[tuple[FileChange, Path | None]] = []
        self._committed: list[tuple[FileChange, Path | None]] = []
        self._created_dirs: list[Path] = []
        self.journal = root / JOURNAL.relative_to("/")

    def lock(self) -> None:
        """Hold a lock on the root directory so two installs never interleave."""
        self._lock_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise NexusError(
                f"another nexus install is running on {self.root}"
            ) from None

    def apply(self, changes: list[FileChange]) -> None:
        """Journal the files, stage every one, then rename them into place."""
        self._write_journal(changes)
        for change in changes:
            # Recorded before writing: a half-written temporary file is removed too.
            temp = None if change.deletes else temp_path(change.path)
            self._staged.append((change, temp))
            self._stage(change, temp)

        for change, temp in self._staged:
            self._commit(change, temp)

    def finish(self) -> None:
        """Success: forget the journal, drop the undo copies, release the lock."""
        self.journal.unlink(missing_ok=True)
        for change, _ in self._committed:
            undo_path(change.path).unlink(missing_ok=True)
        self._committed.clear()
        self.release()

    def recover(self) -> int | None:
        """Undo a transaction a killed process left; the number of files put back.

        None when there is nothing to recover. Call it holding the lock.
        """
        try:
            journal = json.loads(self.journal.read_text(encoding="utf-8"))
            files, created_dirs = journal["files"], journal["created_dirs"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise NexusError(
                f"cannot read {JOURNAL} left by an interrupted install ({exc}); "
                "check the files it lists by hand, then remove it"
            ) from None

        restored = 0
        for entry in reversed(files):
            path = self.root / entry["path"]
            if undo_path(path).exists():
                os.replace(undo_path(path), path)
                restored += 1
            elif not entry["existed"]:
                path.unlink(missing_ok=True)
            temp_path(path).unlink(missing_ok=True)

        self.journal.unlink()
        remove_if_empty([self.root / d for d in reversed(created_dirs)])
        return restored

    def rollback(self) -> None:
        """Failure: restore every committed file and remove what was staged."""
        for change, _ in reversed(self._committed):
            undo = undo_path(change.path)
            if undo.exists():
                os.replace(undo, change.path)
            elif not change.deletes:
                change.path.unlink(missing_ok=True)

        for _, temp in self._staged:
            if temp is not None:
                temp.unlink(missing_ok=True)

        self.journal.unlink(missing_ok=True)
        remove_if_empty(reversed(self._created_dirs))
        self._committed.clear()
        self.release()

    def _write_journal(self, changes: list[FileChange]) -> None:
        """Record what is about to change, before anything does (see ``recover``)."""
        if self.journal.exists():
            raise NexusError(
                f"an earlier run was killed part-way ({JOURNAL} is there): run "
                "nexus install or uninstall again, it puts those files back first"
            )

        # Undo copies from a run whose clean-up was cut short are stale: drop them
        # now, so recovering this run never restores one of them.
        for change in changes:
            undo_path(change.path).unlink(missing_ok=True)

        missing = []
        for change in [*changes, FileChange(JOURNAL, self.journal)]:
            for parent in missing_parents(change.path.parent):
                if parent not in missing:
                    missing.append(parent)
        self._make_parents(self.journal.parent)

        journal = {
            "files": [
                {"path": self._relative(c.path), "existed": c.path.exists()}
                for c in changes
            ],
            "created_dirs": [self._relative(d) for d in missing],
        }
        temp = temp_path(self.journal)
        try:
            temp.write_text(json.dumps(journal, indent=1), encoding="utf-8")
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(temp, self.journal)
        finally:
            temp.unlink(missing_ok=True)

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def _stage(self, change: FileChange, temp: Path | None) -> None:
        if temp is None:
            return

        self._make_parents(change.path.parent)
        if change.source is not None:
            shutil.copyfile(change.source, temp)
        else:
            temp.write_bytes(change.content)

        os.chmod(temp, change.mode)
        if os.geteuid() == 0:
            os.chown(temp, 0, 0)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())

    def _commit(self, change: FileChange, temp: Path | None) -> None:
        undo = undo_path(change.path)
        if change.path.exists():
            os.link(change.path, undo)

        # Recorded before the rename: a failed rename is undone like a finished one.
        self._committed.append((change, temp))

        if temp is None:
            change.path.unlink()
        else:
            os.replace(temp, change.path)

    def _make_parents(self, directory: Path) -> None:
        for path in missing_parents(directory):
            path.mkdir(mode=0o755)
            self._created_dirs.append(path)

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def undo_path(path: Path) -> Path:
    return path.with_name(path.name + _UNDO)


def temp_path(path: Path) -> Path:
    return path.with_name(path.name + _TEMP)


def missing_parents(directory: Path) -> list[Path]:
    """The directories to create, outermost first, for ``directory`` to exist."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    return list(reversed(missing))


def remove_if_empty(directories) -> None:
    for directory in directories:
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()


class StopSignals:
    """Inside, SIGINT, SIGTERM and SIGHUP raise Interrupted, so the undo runs.

    Without it a stopped install would leave its files half changed (the journal
    covers only what no handler can catch: kill -9). Once the files are final,
    ``hold`` makes a signal wait: it is raised when the block ends.
    """

    def __enter__(self) -> "StopSignals":
        self.received: str | None = None
        self.holding = False
        self._previous = {n: signal.signal(n, self._handle) for n in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        if self.received and exc_info[0] is None:
            raise Interrupted(f"stopped by {self.received} once the files were final")

    def hold(self) -> None:
        self.holding = True

    def _handle(self, number: int, frame) -> None:
        name = signal.Signals(number).name
        if self.holding:
            self.received = name
            return
        raise Interrupted(f"stopped by {name}; every file was put back as it was")


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold stop signals back while an undo runs; they arrive when it is done."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
