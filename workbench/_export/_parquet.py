"""Parquet files of a conversation: its table (``to_dataframe(branches=True)``) with nested
values as JSON text, and the conversation's settings in the file's metadata. Needs pyarrow."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._frames import JSON_COLUMNS
from ._from_frame import read_frame
from ._pandas import require_pyarrow
from ._secrets import Scrubber
from ._settings import Settings, chat_settings, read_settings
from ._tables import to_dataframe
from ._transcript import Transcript, TranscriptError

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["read_parquet", "write_parquet"]

_META_KEY = b"workbench"


def write_parquet(path: str | os.PathLike[str], chat: Conversation) -> None:
    """Write every message of ``chat`` (all branches) and its settings to ``path``."""
    pa = require_pyarrow("to_parquet")
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    frame = to_dataframe(chat, branches=True)
    for name in JSON_COLUMNS:
        frame[name] = [_json(value) for value in frame[name].tolist()]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    key = getattr(chat.client, "api_key", None)
    meta = {
        "format": 1,
        "json_columns": list(JSON_COLUMNS),
        "conversations": {chat.id: Scrubber((key,)).value(chat_settings(chat))},
    }
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
    )
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_parquet(path: str | os.PathLike[str], *, conversation_id: str | None = None) -> Transcript:
    """The conversation in the Parquet file at ``path`` (written by ``write_parquet``, or any
    Parquet file of a ``to_dataframe`` table), checked whole."""
    pa = require_pyarrow("from_parquet")
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        table.validate(full=True)  # text that is not UTF-8 fails here, not deep in pandas
        frame = table.to_pandas()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # a damaged file
        where = Path(path).name
        raise TranscriptError(where, "", f"is not a Parquet file pyarrow can read: {exc}") from None
    settings: Settings | None = None
    raw = (table.schema.metadata or {}).get(_META_KEY)
    if raw is not None:
        where = f"the metadata of {Path(path).name}"
        try:
            meta = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise TranscriptError(where, "workbench", f"is not valid JSON: {exc.msg}") from None
        saved = meta.get("conversations") if isinstance(meta, dict) else None
        if isinstance(saved, dict) and saved:
            wanted = conversation_id if conversation_id is not None else next(iter(saved))
            if len(saved) == 1 or conversation_id is not None:
                found = saved.get(wanted)
                settings = read_settings(found, where) if found is not None else None
    return read_frame(frame, conversation_id=conversation_id, settings=settings)


def _json(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return json.dumps(value, ensure_ascii=False, default=str)
