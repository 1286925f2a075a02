"""Parquet files of a conversation: its table (``to_dataframe(branches=True)``) with nested
values as JSON text, and the conversation's settings in the file's metadata. Needs pyarrow.

Media (inline images, recordings, PDFs, spoken replies) is kept once per file: each message's
parts and audio hold references, and the bytes of each item are in the ``media_data`` column
(a list of binaries) of the first row that refers to it; or in ``<stem>.media/`` beside the
file, or dropped for a description, as the ``media`` argument says."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._private import replace_privately
from ..media import Inline, drop_media, extract_media, secret_finder
from ._content import compact_audio
from ._frames import JSON_COLUMNS
from ._from_frame import read_frame
from ._media_files import MediaMode, MediaReader, check_mode, store_media
from ._pandas import require_pyarrow
from ._secrets import Scrubber
from ._settings import Settings, chat_settings, read_settings
from ._tables import conversation_frame
from ._transcript import Transcript, TranscriptError

if TYPE_CHECKING:
    from ..conversation import Conversation

__all__ = ["read_parquet", "write_parquet"]

_META_KEY = b"workbench"
_MEDIA_COLUMN = "media_data"


def write_parquet(
    path: str | os.PathLike[str], chat: Conversation, *, media: MediaMode = "embed"
) -> None:
    """Write every message of ``chat`` (all branches) and its settings to ``path``.

    Args:
        media: ``"embed"`` keeps each media item's bytes once in the file; ``"reference"``
            writes them once to ``<stem>.media/`` beside it; ``"drop"`` describes them in text.
    """
    pa = require_pyarrow("to_parquet")
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    mode = check_mode(media)
    frame = conversation_frame(chat, raw_media=True)
    key = getattr(chat.client, "api_key", None)
    secrets = (key,) if isinstance(key, str) else ()
    parts, audios = frame["content_parts"].tolist(), frame["audio"].tolist()
    if mode == "embed":
        blobs = _embedded(frame, parts, audios, secrets)
        if any(blobs):
            frame[_MEDIA_COLUMN] = pa.array(blobs, type=pa.list_(pa.binary())).to_pandas()
    elif mode == "reference":
        frame["content_parts"] = [store_media(p, mode, path, secrets) for p in parts]
        frame["audio"] = [store_media(a, mode, path, secrets) for a in audios]
    else:
        frame["content_parts"] = [drop_media(p) for p in parts]
        frame["audio"] = [compact_audio(a) for a in audios]
    for name in JSON_COLUMNS:
        frame[name] = [_json(value) for value in frame[name].tolist()]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {
        "format": 1,
        "json_columns": list(JSON_COLUMNS),
        "conversations": {chat.id: Scrubber((key,)).value(chat_settings(chat))},
    }
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
    )
    with replace_privately(Path(path)) as out:  # whole or not at all, its owner's only
        pq.write_table(table, out)


def read_parquet(path: str | os.PathLike[str], *, conversation_id: str | None = None) -> Transcript:
    """The conversation in the Parquet file at ``path`` (written by ``write_parquet``, or any
    Parquet file of a ``to_dataframe`` table), checked whole."""
    pa = require_pyarrow("from_parquet")
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        table.validate(full=True)  # text that is not UTF-8 fails here, not deep in pandas
        embedded: dict[str, bytes] = {}
        if _MEDIA_COLUMN in table.column_names:
            for blobs in table.column(_MEDIA_COLUMN).to_pylist():
                for blob in blobs or ():
                    if isinstance(blob, bytes):
                        embedded[hashlib.sha256(blob).hexdigest()] = blob
            table = table.drop_columns([_MEDIA_COLUMN])
        # pyarrow rebuilds the table from the file's pandas metadata, which it does not check:
        # damaged, it raises KeyError, a JSONDecodeError (a ValueError) or TypeError.
        frame = table.to_pandas()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (pa.ArrowException, OSError, ValueError, KeyError, TypeError) as exc:  # damaged
        where = Path(path).name
        problem = f"is not a Parquet file pyarrow can read: {exc!r}"
        raise TranscriptError(where, "", problem) from None
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
    _restore(frame, MediaReader(path, embedded))
    return read_frame(frame, conversation_id=conversation_id, settings=settings)


def _embedded(
    frame: Any, parts: list[Any], audios: list[Any], secrets: tuple[str | None, ...]
) -> list[list[bytes] | None]:
    """Replace the frame's inline media by references; the bytes of each item, in the row of
    the first message that refers to it."""
    holds_secret = secret_finder(secrets)
    seen: set[str] = set()
    blobs: list[list[bytes] | None] = []
    new_parts, new_audios = [], []

    for part, audio in zip(parts, audios, strict=True):
        (part, audio), found = extract_media([part, audio], holds_secret)
        new_parts.append(part)
        new_audios.append(audio)
        fresh: list[Inline] = [m for sha, m in found.items() if sha not in seen]
        seen.update(found)
        blobs.append([m.data for m in fresh] or None)
    frame["content_parts"], frame["audio"] = new_parts, new_audios
    return blobs


def _restore(frame: Any, reader: MediaReader) -> None:
    """Put the media back into the frame's ``content_parts`` and ``audio`` (JSON text)."""
    labels = list(frame.index)
    for name in ("content_parts", "audio"):
        if name not in frame.columns:
            continue
        values = frame[name].tolist()
        changed = False
        for i, text in enumerate(values):
            if isinstance(text, str) and '"$media"' in text:
                try:
                    value = json.loads(text)
                except json.JSONDecodeError:
                    continue  # read_frame names it
                restored = reader.restore(value, f"row {labels[i]}", name)
                values[i] = json.dumps(restored, ensure_ascii=False)
                changed = True
        if changed:
            frame[name] = values


def _json(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return json.dumps(value, ensure_ascii=False, default=str)
