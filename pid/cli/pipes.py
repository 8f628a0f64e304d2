"""Closed pipes: ``pid compute DATA | head -1`` ends quietly, its reports in place.

Every command writes its files before it prints anything, and runs inside
:func:`closed_pipes_tolerated`: once the reader of standard output (or of standard error,
where the progress goes) has gone away, what is left to print there is dropped, without a
message or a traceback, and the command finishes with its usual exit status (0 on success,
as ``head`` users expect, rather than the 141 of a process killed by ``SIGPIPE``).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class PipeTolerantStream:
    """A text stream that drops its output once the reader has closed the pipe.

    On the first ``BrokenPipeError`` the stream's file descriptor is pointed at
    ``os.devnull``, so later writes, and the interpreter's own flush at exit, succeed
    silently. Everything else is the wrapped stream's.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        """Write ``text``, or drop it once the reader is gone."""
        if not self.reader_gone:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self._drop_output()
        return len(text)

    def flush(self) -> None:
        """Flush, or do nothing once the reader is gone."""
        if not self.reader_gone:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self._drop_output()

    def _drop_output(self) -> None:
        self.reader_gone = True
        try:
            descriptor = self.stream.fileno()
        except (OSError, ValueError, io.UnsupportedOperation):
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, descriptor)
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@contextmanager
def closed_pipes_tolerated() -> Iterator[None]:
    """Run the body with ``sys.stdout`` and ``sys.stderr`` that drop their output once their
    reader has closed the pipe (:class:`PipeTolerantStream`); both are flushed and restored
    on the way out."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PipeTolerantStream(saved[0]), PipeTolerantStream(saved[1])
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved
