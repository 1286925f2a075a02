"""The SQLite log: every conversation, message, branch choice and exchange, committed at once
(or, while ``deferred``, as a grid run asks, queued and committed in batches: ``_log_batch``).

No secret is written: keys named like ``authorization`` or ``api_key`` are dropped at any depth;
OpenAI-shaped keys and values given to ``ConversationLog.add_secret`` are redacted everywhere
(``_redact``).

Media is stored once: inline base64 (images, audio, PDFs, spoken replies) in messages, requests
and responses is kept as bytes in the ``media`` table under the sha256 of those bytes, and the
JSON holds a reference (``workbench.media``) that reading replaces by the very text it stood
for. Logs written before hold their media inline and read as they are.

The ``grid_batches`` table holds a grid's Batch API runs (``workbench.grid._batch_log``: one row
per batch, written as each file is uploaded and each batch created), so that a new process
picks them up; its schema is created here with the others.

The log is its owner's only (``workbench._private``): its folder, if workbench makes it, is 0700
and the file 0600, which SQLite gives its WAL and SHM files too; a log that others could read
(one written before workbench made it private) loses their access when it is opened.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._credentials import MIN_SECRET
from .._exceptions import WorkbenchError
from .._private import make_private, open_private, private_folder
from ..media import Inline, MediaRef, extract_media, restore_media, secret_finder
from ._history import History, Message
from ._log_batch import BatchWriter, Job
from ._redact import REDACTED, plain_json, redact, scrub

__all__ = ["ConversationLog", "ConversationSummary", "LoadedConversation", "default_log_path"]
__all__ += ["REDACTED", "conversations", "plain_json", "redact", "scrub"]

_REFERENCE = '"$media"'  # in a row's JSON text: it holds media references to restore
_BESIDE = ("-wal", "-shm", "-journal")  # SQLite's files beside the log, named after it

SCHEMA_VERSION = 2
"""The log's ``PRAGMA user_version``: 1 (or 0) before the ``media`` table, 2 with it. A log
written by a newer workbench (a higher version) is refused rather than misread."""
_PRAGMAS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, created REAL NOT NULL,
    updated REAL NOT NULL, title TEXT, model TEXT, system TEXT, meta TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS messages (id TEXT NOT NULL, conversation_id TEXT NOT NULL,
    parent_id TEXT, position INTEGER NOT NULL, data TEXT NOT NULL, status TEXT NOT NULL,
    created REAL NOT NULL, PRIMARY KEY (conversation_id, id));
CREATE INDEX IF NOT EXISTS messages_by_position ON messages (conversation_id, position);
CREATE TABLE IF NOT EXISTS selected (conversation_id TEXT NOT NULL, parent_id TEXT, child_id TEXT);
CREATE INDEX IF NOT EXISTS selected_by_conversation ON selected (conversation_id);
CREATE INDEX IF NOT EXISTS selected_by_parent ON selected (conversation_id, parent_id);
CREATE TABLE IF NOT EXISTS exchanges (id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL, message_id TEXT, created REAL NOT NULL,
    request TEXT NOT NULL, response TEXT, status TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exchanges_by_conversation ON exchanges (conversation_id);
CREATE TABLE IF NOT EXISTS media (sha256 TEXT PRIMARY KEY, mime TEXT NOT NULL,
    size INTEGER NOT NULL, data BLOB NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS grid_batches (id INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_version TEXT NOT NULL, server TEXT NOT NULL, endpoint TEXT NOT NULL,
    model TEXT NOT NULL, part INTEGER NOT NULL, custom_ids TEXT NOT NULL, input_file_id TEXT,
    batch_id TEXT, status TEXT, request_counts TEXT, output_file_id TEXT, error_file_id TEXT,
    merged INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS grid_batches_by_grid ON grid_batches (grid_version, server);
"""


def default_log_path() -> Path:
    """``$WORKBENCH_LOG`` if set, else ``<user data dir>/workbench/log.sqlite3``."""
    override = os.environ.get("WORKBENCH_LOG")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        # The XDG spec says a relative value is invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "workbench" / "log.sqlite3"


@dataclass(frozen=True)
class ConversationSummary:
    """One line of ``ConversationLog.conversations()``."""

    id: str
    title: str | None
    model: str | None
    created: float
    updated: float
    messages: int


@dataclass
class LoadedConversation:
    """A conversation as the log holds it: settings, every message, and the branch choices."""

    id: str
    model: str | None
    system: str | None
    title: str | None
    meta: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    selected: dict[str | None, str | None] = field(default_factory=dict)

    def history(self) -> History:
        """The messages rebuilt as a ``History`` tree, with the saved branch selected."""
        history = History()
        pending = list(self.messages)
        while pending:  # parents first, whatever order they were saved in
            ready = [m for m in pending if m.parent_id is None or m.parent_id in history.messages]
            if not ready:
                break  # orphans (their parent never logged) stay in ``messages`` only
            for message in ready:
                history.add(message, select=False)
            pending = [m for m in pending if m.id not in history.messages]
        known = history.messages
        for parent, child in self.selected.items():
            if (parent is None or parent in known) and (child is None or child in known):
                history.selected[parent] = child
        return history


class ConversationLog:
    """An append-mostly SQLite log of conversations, safe to share between threads.

    Args:
        path: the database file; it and any missing folder above it are created on first use,
            for their owner only (0600, 0700).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._secrets: set[str] = set()
        self._clock = 0.0
        self._clock_lock = threading.Lock()  # not self._lock: a batch commit holds that
        self._writer: BatchWriter | None = None

    def __repr__(self) -> str:
        return f"ConversationLog({str(self.path)!r})"

    def __enter__(self) -> ConversationLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_secret(self, value: str | None) -> None:
        """Never write ``value`` (for example the client's API key): it is redacted everywhere."""
        if value and len(value) >= MIN_SECRET:
            self._secrets.add(value)

    def close(self) -> None:
        """Close the connection (the next call opens it again); deferred writes are committed
        first."""
        self.flush()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._make_private()
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                conn.close()
                raise WorkbenchError(
                    f"the log at {self.path} was written by a newer workbench (schema version"
                    f" {version}; this one reads up to {SCHEMA_VERSION}): upgrade workbench"
                )
            conn.executescript(_PRAGMAS + _SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
            self._conn = conn
        return self._conn

    def _make_private(self) -> None:
        """Create the log (and any folder above it) for its owner only, or take group's and
        others' access away from a log, and the WAL, SHM and journal beside it, that had it."""
        private_folder(self.path.parent, parents=True)
        os.close(open_private(self.path, os.O_RDONLY))
        for file in (self.path, *(Path(f"{self.path}{suffix}") for suffix in _BESIDE)):
            try:
                make_private(file)
            except PermissionError:  # another user's log, shared on purpose: still usable
                warnings.warn(
                    f"{file} is readable by others and belongs to another user: workbench"
                    " cannot make it private",
                    stacklevel=2,
                )

    @contextmanager
    def deferred(self) -> Iterator[ConversationLog]:
        """While the block runs, writes are queued and committed in order, many to a
        transaction (``_log_batch``: on the writing thread every 0.2 s, or by a timer thread
        once it is quiet): the same rows, a fraction of the cost. Reads through this object
        commit the queue first; other readers see each batch as it commits. On the way out,
        however the block ends, every queued write is committed."""
        if self._writer is not None:  # already deferred: the outer block flushes
            yield self
            return
        self._writer = BatchWriter(self._transaction)
        try:
            yield self
        finally:
            writer, self._writer = self._writer, None
            writer.close()

    def flush(self) -> None:
        """Wait until every deferred write is committed (nothing to do when none are)."""
        if self._writer is not None:
            self._writer.flush()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """A transaction under the lock, committed on exit (or rolled back on an error)."""
        with self._lock, self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            yield conn

    def _write(self, conversation_id: str, statements: Job) -> None:
        """Run ``statements`` in a transaction that creates or touches the conversation:
        at once, or queued while writes are ``deferred``."""
        with self._clock_lock:
            # Strictly increasing, so that "newest first" is well defined within a process.
            now = self._clock = max(time.time(), self._clock + 1e-6)

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO conversations (id, created, updated) VALUES (?, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET updated = excluded.updated",
                (conversation_id, now, now),
            )
            statements(conn)

        writer = self._writer
        if writer is not None:
            writer.submit(job)
            return
        with self._transaction() as conn:
            job(conn)

    def _json(self, value: Any, media: dict[str, Inline]) -> str:
        """``value`` as redacted JSON text, its inline media replaced by references (and added
        to ``media``, by hash)."""
        text = plain_json(value, self._secrets)
        if text is not None:
            return text
        value, found = extract_media(value, secret_finder(self._secrets))
        media.update(found)
        # Scrub the text too: ``default=str`` may have turned an object holding a key into text.
        text = json.dumps(redact(value, self._secrets), ensure_ascii=False, default=str)
        return scrub(text, self._secrets)

    @staticmethod
    def _put_media(conn: sqlite3.Connection, media: dict[str, Inline]) -> None:
        if media:
            now = time.time()
            conn.executemany(
                "INSERT OR IGNORE INTO media (sha256, mime, size, data, created)"
                " VALUES (?, ?, ?, ?, ?)",
                [(m.ref.sha256, m.ref.mime, m.ref.size, m.data, now) for m in media.values()],
            )

    def _restored(self, text: str, cache: dict[str, bytes]) -> Any:
        """A row's JSON ``text`` parsed, each media reference replaced by what it stood for."""
        value = json.loads(text)
        if _REFERENCE not in text:
            return value

        def fetch(ref: MediaRef) -> bytes:
            data = cache.get(ref.sha256)
            if data is None:
                rows = self._read("SELECT data FROM media WHERE sha256 = ?", ref.sha256)
                if not rows or len(rows[0][0]) != ref.size:
                    raise ValueError(
                        f"the log at {self.path} lacks the media sha256 {ref.sha256}"
                        f" ({ref.mime}, {ref.size} bytes) that a row refers to"
                    )
                data = cache[ref.sha256] = bytes(rows[0][0])
            return data

        return restore_media(value, fetch)

    def save_conversation(
        self,
        conversation_id: str,
        *,
        model: str | None = None,
        system: str | None = None,
        title: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """Create or update a conversation's settings (its creation time is kept)."""
        values = (
            *(v and scrub(v, self._secrets) for v in (model, system, title)),
            self._json(dict(meta or {}), {}),
            conversation_id,
        )

        def statements(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE conversations SET model = ?, system = ?, title = ?, meta = ? WHERE id = ?",
                values,
            )

        self._write(conversation_id, statements)

    def save_message(self, conversation_id: str, message: Message) -> None:
        """Insert ``message``, or update it in place (same id) when a streamed reply ends."""
        self.save_changes(conversation_id, [message], {})

    def save_changes(
        self,
        conversation_id: str,
        messages: Iterable[Message],
        choices: Mapping[str | None, str | None],
    ) -> None:
        """Insert or update ``messages`` (by id) and set the branch choices in ``choices``
        (``{parent: child}``; the root's parent is ``None``), in one transaction. Each write
        costs the same however long the conversation (the indexes find its place)."""
        rows = []
        media: dict[str, Inline] = {}
        for m in messages:
            data = self._json(m.model_dump(mode="json"), media)
            rows.append((m.id, conversation_id, m.parent_id, data, m.status, m.created))
        choices = dict(choices)  # as it is now: a deferred write runs later

        def statements(conn: sqlite3.Connection) -> None:
            self._put_media(conn, media)
            conn.executemany(
                "INSERT INTO messages VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position) + 1, 0)"
                " FROM messages WHERE conversation_id = ?2), ?4, ?5, ?6) ON CONFLICT"
                " (conversation_id, id) DO UPDATE SET parent_id = ?3, data = ?4, status = ?5",
                rows,
            )
            for parent, child in choices.items():
                conn.execute(
                    "DELETE FROM selected WHERE conversation_id = ? AND parent_id IS ?",
                    (conversation_id, parent),
                )
                conn.execute(
                    "INSERT INTO selected (conversation_id, parent_id, child_id) VALUES (?, ?, ?)",
                    (conversation_id, parent, child),
                )

        self._write(conversation_id, statements)

    def save_selection(
        self, conversation_id: str, selected: Mapping[str | None, str | None]
    ) -> None:
        """Replace the branch choices of a conversation (``None`` keys: the root, as NULL)."""
        rows = [(conversation_id, parent, child) for parent, child in selected.items()]

        def statements(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM selected WHERE conversation_id = ?", (conversation_id,))
            conn.executemany(
                "INSERT INTO selected (conversation_id, parent_id, child_id) VALUES (?, ?, ?)",
                rows,
            )

        self._write(conversation_id, statements)

    def record_exchange(
        self,
        conversation_id: str,
        message_id: str | None,
        request: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        status: str,
    ) -> int | None:
        """Append one request and its response (or ``None`` if none came); returns its row id
        (None while writes are ``deferred``: the row is written later)."""
        media: dict[str, Inline] = {}
        payload = self._json(dict(request), media)
        answer = None if response is None else self._json(response, media)
        row = (conversation_id, message_id, time.time(), payload, answer, status)
        rowid: list[int] = []

        def statements(conn: sqlite3.Connection) -> None:
            self._put_media(conn, media)
            cursor = conn.execute(
                "INSERT INTO exchanges (conversation_id, message_id, created, request, response,"
                " status) VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            rowid.append(int(cursor.lastrowid or 0))

        self._write(conversation_id, statements)
        return rowid[0] if rowid else None

    def _read(self, sql: str, *params: Any) -> list[Any]:
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    def load(self, conversation_id: str) -> LoadedConversation:
        """The conversation ``conversation_id``; ``KeyError`` if the log has none by that id."""
        self.flush()
        with self._lock:  # one consistent read
            found = self._read("SELECT * FROM conversations WHERE id = ?", conversation_id)
            if not found:
                raise KeyError(f"no conversation {conversation_id!r} in the log at {self.path}")
            rows = self._read(
                "SELECT data FROM messages WHERE conversation_id = ? ORDER BY position",
                conversation_id,
            )
            choices = self._read(
                "SELECT parent_id, child_id FROM selected WHERE conversation_id = ?",
                conversation_id,
            )
            _, _, _, title, model, system, meta = found[0]
            cache: dict[str, bytes] = {}
            messages = [
                Message.model_validate(self._restored(data, cache))
                if _REFERENCE in data
                else Message.model_validate_json(data)
                for (data,) in rows
            ]
        return LoadedConversation(
            conversation_id, model, system, title, json.loads(meta), messages, dict(choices)
        )

    def conversations(self) -> list[ConversationSummary]:
        """Every logged conversation, the most recently updated first."""
        self.flush()
        rows = self._read(
            "SELECT c.id, c.title, c.model, c.created, c.updated, (SELECT COUNT(*) FROM messages m"
            " WHERE m.conversation_id = c.id) FROM conversations c"
            " ORDER BY c.updated DESC, c.rowid DESC"
        )
        return [ConversationSummary(*row) for row in rows]

    def exchanges(self, conversation_id: str) -> list[dict[str, Any]]:
        """The exchanges recorded for a conversation, oldest first (request/response parsed)."""
        cache: dict[str, bytes] = {}
        self.flush()
        with self._lock:
            rows = self._read(
                "SELECT id, message_id, created, request, response, status FROM exchanges"
                " WHERE conversation_id = ? ORDER BY id",
                conversation_id,
            )
            return [
                {"id": i, "message_id": m, "created": c, "request": self._restored(req, cache)}
                | {"status": st, "response": None if r is None else self._restored(r, cache)}
                for i, m, c, req, r, st in rows
            ]


def conversations(log: str | Path | None = None) -> list[ConversationSummary]:
    """The conversations in the log, most recently updated first (``Conversation.load(id)``)."""
    with ConversationLog(log or default_log_path()) as db:
        return db.conversations()
