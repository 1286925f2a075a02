"""Media in exported files: embedded as it was sent, written once beside the file and referred
to by the sha256 of its bytes, or dropped for a text part that describes it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from .._exceptions import InvalidParameterError
from .._private import private_folder, replace_privately
from ..media import Inline, MediaRef, drop_media, extract_media, restore_media, secret_finder
from ._transcript import TranscriptError

__all__ = ["MEDIA_MODES", "MediaMode", "MediaReader", "check_mode", "media_dir", "store_media"]

MediaMode = Literal["embed", "reference", "drop"]
MEDIA_MODES: tuple[str, ...] = ("embed", "reference", "drop")


def check_mode(media: object) -> MediaMode:
    """``media`` if it is one of the modes."""
    if media not in MEDIA_MODES:
        raise InvalidParameterError("media", f"got {media!r}", allowed=MEDIA_MODES)
    return media  # type: ignore[return-value]


def media_dir(path: str | os.PathLike[str]) -> Path:
    """Where the media of the file at ``path`` goes: ``<stem>.media/`` beside it."""
    target = Path(path)
    return target.with_name(f"{target.stem}.media")


def media_file(folder: Path, ref: MediaRef) -> Path:
    """The file of one media item: ``<sha256>.<extension>``."""
    return folder / f"{ref.sha256}.{ref.extension}"


def store_media(
    value: Any, mode: MediaMode, path: str | os.PathLike[str], secrets: Iterable[str | None] = ()
) -> Any:
    """``value`` (messages) ready to write to ``path`` in ``mode``: as it is (``embed``), with
    text parts for its media (``drop``), or with references whose bytes are written to the
    media folder first (``reference``; media holding one of ``secrets`` or an OpenAI-shaped key
    as text stays inline, where the export's redaction applies). The folder, when made here,
    and the files are their owner's only (0700, 0600)."""
    if mode == "embed":
        return value
    if mode == "drop":
        return drop_media(value)
    stripped, found = extract_media(value, secret_finder(secrets))
    if found:
        folder = media_dir(path)
        private_folder(folder)
        for inline in found.values():
            _write_once(media_file(folder, inline.ref), inline)
    return stripped


def _write_once(target: Path, inline: Inline) -> None:
    """Write a media file unless it is there already (the name is the content's hash); a file
    there that is not the content (damaged) is replaced, whole or not at all."""
    same_size = target.is_file() and target.stat().st_size == inline.ref.size
    if same_size and hashlib.sha256(target.read_bytes()).hexdigest() == inline.ref.sha256:
        return
    with replace_privately(target) as out:
        out.write(inline.data)


class MediaReader:
    """Resolves the media references of a file's records from the media the file embeds (by
    hash) or its media folder, each file read once and checked against its hash."""

    def __init__(
        self, path: str | os.PathLike[str], embedded: dict[str, bytes] | None = None
    ) -> None:
        self.folder = media_dir(path)
        self._cache: dict[str, bytes] = dict(embedded or {})

    def restore(self, value: Any, where: str, field: str) -> Any:
        """``value`` with its references replaced by the media they stand for.

        Raises:
            TranscriptError: naming ``where``, the hash and the file, for a reference that is
                malformed, or whose file is missing or holds other bytes.
        """

        def fetch(ref: MediaRef) -> bytes:
            data = self._cache.get(ref.sha256)
            if data is None:
                data = self._read(ref, where, field)
                self._cache[ref.sha256] = data
            return data

        try:
            return restore_media(value, fetch)
        except TranscriptError:
            raise
        except ValueError as exc:
            raise TranscriptError(
                where, field, f"holds a malformed media reference: {exc}"
            ) from None

    def _read(self, ref: MediaRef, where: str, field: str) -> bytes:
        file = media_file(self.folder, ref)
        about = f"refers to media sha256 {ref.sha256} ({ref.mime}, {ref.size} bytes)"
        try:
            data = file.read_bytes()
        except OSError:
            raise TranscriptError(
                where,
                field,
                f"{about}, but {file} is missing: keep the {self.folder.name} folder beside the"
                " file, or export with media='embed'",
            ) from None
        if len(data) != ref.size or hashlib.sha256(data).hexdigest() != ref.sha256:
            raise TranscriptError(where, field, f"{about}, but {file} holds other bytes")
        return data
