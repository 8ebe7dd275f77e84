"""Write a set of files all or nothing: temporary siblings, renames, and an undo.

Every new file is first written beside its target and renamed over it, so no reader
ever sees half a file. The file it replaces is kept (hard-linked) until the whole
install succeeds; if anything fails part-way, ``rollback`` puts every file back.
"""

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from nexuslite.errors import NexusError

_TEMP = ".nexus-new"
_UNDO = ".nexus-undo"


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

    def lock(self) -> None:
        """Hold a lock on the root directory so two installs never interleave."""
        self._lock_fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NexusError(
                f"another nexus install is running on {self.root}"
            ) from None

    def apply(self, changes: list[FileChange]) -> None:
        """Stage every file first, then rename them into place one by one."""
        for change in changes:
            self._staged.append((change, self._stage(change)))

        for change, temp in self._staged:
            self._commit(change, temp)

    def finish(self) -> None:
        """Success: drop the undo copies and release the lock."""
        for change, _ in self._committed:
            undo_path(change.path).unlink(missing_ok=True)
        self._committed.clear()
        self._release()

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

        for directory in reversed(self._created_dirs):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()

        self._committed.clear()
        self._release()

    def _stage(self, change: FileChange) -> Path | None:
        if change.deletes:
            return None

        self._make_parents(change.path.parent)
        temp = change.path.with_name(change.path.name + _TEMP)
        if change.source is not None:
            shutil.copyfile(change.source, temp)
        else:
            temp.write_bytes(change.content)

        os.chmod(temp, change.mode)
        if os.geteuid() == 0:
            os.chown(temp, 0, 0)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        return temp

    def _commit(self, change: FileChange, temp: Path | None) -> None:
        undo = undo_path(change.path)
        undo.unlink(missing_ok=True)
        if change.path.exists():
            os.link(change.path, undo)

        # Recorded before the rename: a failed rename is undone like a finished one.
        self._committed.append((change, temp))

        if temp is None:
            change.path.unlink()
        else:
            os.replace(temp, change.path)

    def _make_parents(self, directory: Path) -> None:
        missing = []
        while not directory.exists():
            missing.append(directory)
            directory = directory.parent

        for path in reversed(missing):
            path.mkdir(mode=0o755)
            self._created_dirs.append(path)

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def undo_path(path: Path) -> Path:
    return path.with_name(path.name + _UNDO)
