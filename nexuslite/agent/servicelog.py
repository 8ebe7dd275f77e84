"""A service's output log: a pipe copied to a size-capped file with rotation.

The child writes to a pipe; a thread copies what arrives to ``FILE``. When the file
reaches ``max_bytes`` (0: no cap), ``FILE`` becomes ``FILE.1`` (``FILE.1`` becomes
``FILE.2`` and so on, keeping ``keep`` old files) and a fresh ``FILE`` is started.
The thread ends when every process holding the pipe has closed it.
"""

import contextlib
import logging
import os
import threading
from pathlib import Path

from nexuslite.agent.servicefile import LogSpec

log = logging.getLogger(__name__)

_CHUNK = 65536


class ServiceLog:
    def __init__(self, spec: LogSpec, out, read_fd: int, write_fd: int):
        self.spec = spec
        self.path = Path(spec.file)
        self.pipe_input = write_fd
        self._out = out
        self._read_fd = read_fd
        self._thread: threading.Thread | None = None

    @classmethod
    def open(cls, spec: LogSpec) -> "ServiceLog":
        """Open the file now, so that an unwritable log is a spawn error (OSError)."""
        path = Path(spec.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        out = path.open("ab")
        read_fd, write_fd = os.pipe()
        return cls(spec, out, read_fd, write_fd)

    def start_copying(self) -> None:
        """Hand the pipe's write end to the child only, then copy until EOF."""
        os.close(self.pipe_input)
        self._thread = threading.Thread(
            target=self._copy, name=f"log-{self.path.name}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Release both ends when the child never started."""
        os.close(self.pipe_input)
        os.close(self._read_fd)
        self._out.close()

    def _copy(self) -> None:
        out = self._out
        try:
            while chunk := os.read(self._read_fd, _CHUNK):
                out = self._write(out, chunk)
        except OSError as exc:
            log.warning("log: %s (cannot write: %s; discarding output)", self.path, exc)
            self._discard()
        finally:
            out.close()
            os.close(self._read_fd)

    def _discard(self) -> None:
        """Keep reading so the service never blocks or dies on a full pipe."""
        with contextlib.suppress(OSError):
            while os.read(self._read_fd, _CHUNK):
                pass

    def _write(self, out, chunk: bytes):
        """Write ``chunk``, rotating whenever the file reaches its cap."""
        cap = self.spec.max_bytes
        while chunk:
            room = cap - out.tell() if cap else len(chunk)
            if room <= 0:
                out.close()
                rotate_files(self.path, self.spec.keep)
                out = self.path.open("ab")
                continue
            out.write(chunk[:room])
            chunk = chunk[room:]
        out.flush()
        return out


def rotate_files(path: Path, keep: int) -> None:
    """Shift FILE.N-1 to FILE.N ... FILE to FILE.1, dropping what passes ``keep``."""
    if keep == 0:
        path.unlink(missing_ok=True)
        return

    for number in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{number}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{number + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))
