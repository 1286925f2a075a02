"""``Cassette``: a JSONL file of exchanges that clients record to or replay from, thread-safely."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Literal

from .._exceptions import CassetteError, CassetteMissError, WorkbenchError
from .._private import open_private
from ._format import Exchange, RecordedRequest, dump_line, header_line, parse_line
from ._match import closest, key, summary

__all__ = ["Cassette", "CassetteMode"]

CassetteMode = Literal["record", "replay", "record_missing"]
_MODES = ("record", "replay", "record_missing")


class Cassette:
    """Recorded exchanges in a JSON Lines file, shared by the clients that use it.

    Modes: ``"record"`` sends every request and appends each exchange; ``"replay"`` answers
    from the file and never sends; ``"record_missing"`` answers what the file has and sends
    (and appends) the rest. Identical requests get their recordings in the order recorded; in
    ``"replay"``, once all are used, the last one answers again.

    Args:
        path: the file; created on the first recording, readable by its owner only
            (``"replay"`` needs it to exist).
        mode: one of the three above.

    Raises:
        CassetteError: the file is missing (``"replay"``) or a line of it is malformed.
    """

    def __init__(self, path: str | os.PathLike[str], *, mode: CassetteMode = "replay") -> None:
        if mode not in _MODES:
            raise WorkbenchError(f"mode must be one of {', '.join(_MODES)}, got {mode!r}")
        self.path = Path(path)
        self.mode: CassetteMode = mode
        self.base_url: str | None = None
        """The base URL of the client that recorded first (from the header line)."""
        self._lock = threading.Lock()
        self._exchanges: list[Exchange] = []
        self._lines: list[int] = []
        self._by_key: dict[str, list[int]] = {}
        self._served: dict[str, int] = {}
        self._used: set[int] = set()
        self._has_header = False
        self._size = 0  # the file's size and lines as this object last wrote or read it
        self._newlines = 0
        if self.path.exists():
            self._load()
        elif mode == "replay":
            raise CassetteError("no such file: nothing to replay", path=str(self.path))
        elif not self.path.parent.is_dir():
            raise CassetteError("its folder does not exist", path=str(self.path))

    def __repr__(self) -> str:
        return f"Cassette({str(self.path)!r}, mode={self.mode!r}, exchanges={len(self)})"

    def __len__(self) -> int:
        return len(self._exchanges)

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange, in the order recorded (the file's, then this session's)."""
        with self._lock:
            return list(self._exchanges)

    def unused(self) -> list[Exchange]:
        """The exchanges no request has been answered with yet."""
        with self._lock:
            return [e for i, e in enumerate(self._exchanges) if i not in self._used]

    @property
    def replays(self) -> bool:
        """Whether requests are answered from the file (``"replay"``, ``"record_missing"``)."""
        return self.mode != "record"

    def _load(self) -> None:
        where = str(self.path)
        try:
            data = self.path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CassetteError(f"cannot read it: {exc}", path=where) from None
        self._size = len(data)
        self._newlines = data.count(b"\n")
        # Only "\n" ends a line: str.splitlines() would also split at a raw U+2028 in a string.
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            row = parse_line(line, where, number)
            if isinstance(row, Exchange):
                if not self._has_header:
                    raise CassetteError(
                        "an exchange before the header line (is this a cassette?)",
                        path=where,
                        line=number,
                    )
                self._add(row, number)
            elif not self._has_header:  # later headers: another client began the file too
                self._has_header = True
                base_url = row.get("base_url")
                self.base_url = base_url if isinstance(base_url, str) else None

    def _add(self, exchange: Exchange, line: int) -> int:
        index = len(self._exchanges)
        self._exchanges.append(exchange)
        self._lines.append(line)
        self._by_key.setdefault(key(exchange.request), []).append(index)
        return index

    def take(self, request: RecordedRequest) -> Exchange | None:
        """The recording that answers ``request``, or None (nothing recorded, or in
        ``"record_missing"`` every recording of it already used)."""
        wanted = key(request)
        with self._lock:
            indices = self._by_key.get(wanted)
            if not indices:
                return None
            served = self._served.get(wanted, 0)
            if served < len(indices):
                self._served[wanted] = served + 1
                index = indices[served]
            elif self.mode == "replay":
                index = indices[-1]
            else:
                return None
            self._used.add(index)
            return self._exchanges[index]

    def append(self, exchange: Exchange, base_url: str | None) -> None:
        """Write ``exchange`` at the end of the file (a header first in a new file), as used.

        One ``write`` of one line to a file opened for appending, so several clients (or
        processes) recording to one file do not garble each other's lines.
        """
        line = dump_line(exchange).encode()
        with self._lock:
            try:
                self._write(exchange, line, base_url)
            except OSError as exc:
                raise CassetteError(f"cannot write to it: {exc}", path=str(self.path)) from None

    def _write(self, exchange: Exchange, line: bytes, base_url: str | None) -> None:
        # A new cassette is its owner's only (0600); one already there keeps its mode.
        with os.fdopen(open_private(self.path, os.O_RDWR | os.O_APPEND), "a+b") as file:
            end = file.seek(0, os.SEEK_END)
            if end != self._size:  # someone else wrote: count the lines again
                file.seek(0)
                head = file.readline()
                self._newlines = head.count(b"\n") + sum(c.count(b"\n") for c in file)
                self._has_header = self._has_header or _is_header(head)
            lead = b""
            if end:
                file.seek(end - 1)
                if file.read(1) != b"\n":  # a torn last line must not swallow this one
                    lead = b"\n"
            if not self._has_header:
                if end and not self._blank():
                    raise CassetteError(
                        "the file is not a cassette (no header line): not appending to it",
                        path=str(self.path),
                    )
                lead += header_line(base_url).encode()
                self._has_header = True
                self.base_url = base_url
            file.write(lead + line)
            self._size = end + len(lead) + len(line)
            self._newlines += lead.count(b"\n") + 1
            index = self._add(exchange, self._newlines)
            wanted = key(exchange.request)
            self._served[wanted] = len(self._by_key[wanted])
            self._used.add(index)

    def _blank(self) -> bool:
        return not self.path.read_bytes().strip()

    def miss(self, request: RecordedRequest) -> CassetteMissError:
        """The error for a request with no recording, naming what differs from the closest."""
        with self._lock:
            recorded = [e.request for e in self._exchanges]
            lines = list(self._lines)
        what = f"{request.method} {request.path}"
        found = closest(recorded, request)
        if found is None:
            detail = "The cassette has no recordings."
            differences: list[str] = []
        else:
            index, differences = found
            detail = (
                f"The closest recording (line {lines[index]}) differs in:\n{summary(differences)}"
            )
        return CassetteMissError(
            f"No recording in {self.path} answers {what}. {detail}\nTo record what is"
            " missing, use Client(replay=..., record_missing=True).",
            path=str(self.path),
            differences=differences,
        )


def _is_header(line: bytes) -> bool:
    try:
        return isinstance(parse_line(line.decode("utf-8"), "", 1), dict)
    except (CassetteError, UnicodeDecodeError):
        return False
