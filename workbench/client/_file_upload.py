"""What ``files.create(file=...)`` takes, read once into a whole multipart part.

The forms are openai's: bytes, a path (``os.PathLike``), a binary file object, or a tuple
``(filename, content)`` / ``(filename, content, content_type)`` whose content is any of those.
The content is read to bytes before anything is sent, so a retry sends the whole file again
(a file object, once read, would give nothing the second time).
"""

from __future__ import annotations

import io
import mimetypes
import os
from pathlib import Path
from typing import IO, Any, Union

from .._exceptions import InvalidParameterError
from ._request_options import FileTuple

__all__ = ["FileContent", "FileTypes", "file_part"]

FileContent = Union[IO[bytes], bytes, "os.PathLike[str]"]
"""A file's content: a binary file object, bytes, or a path to read."""

FileTypes = Union[
    FileContent,
    tuple[str | None, FileContent],
    tuple[str | None, FileContent, str | None],
    tuple[str | None, FileContent, str | None, Any],
]
"""What ``files.create(file=...)`` takes (openai's ``FileTypes``)."""

_ALLOWED = (
    "bytes, a pathlib.Path, a binary file object (open(path, 'rb')), or a tuple "
    "(filename, content) or (filename, content, content_type)"
)
_DEFAULT_NAME = "upload"


def file_part(file: object, param: str = "file") -> FileTuple:
    """``(filename, content, content_type)`` of ``file``, its content read whole.

    Raises:
        InvalidParameterError: a form not listed above, a text-mode file object, a path that
            cannot be read, or an empty file.
    """
    filename: str | None = None
    content_type: str | None = None
    content: object = file
    if isinstance(file, tuple):
        if not 2 <= len(file) <= 4:
            raise InvalidParameterError(param, f"is a tuple of {len(file)} items", allowed=_ALLOWED)
        filename, content = file[0], file[1]
        content_type = file[2] if len(file) > 2 else None
        if filename is not None and not isinstance(filename, str):
            raise InvalidParameterError(f"{param}[0]", "the filename must be a string or None")
        if content_type is not None and not isinstance(content_type, str):
            raise InvalidParameterError(f"{param}[2]", "the content type must be a string or None")
    data, found_name = _read(content, param)
    if not data:
        raise InvalidParameterError(param, "is empty: a file must have at least one byte")
    name = filename or found_name or _DEFAULT_NAME
    kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name, data, kind


def _read(content: object, param: str) -> tuple[bytes, str | None]:
    """The bytes of ``content``, and the filename it carries (a path's, a file object's)."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content), None
    if isinstance(content, str):
        raise InvalidParameterError(
            param, "is a str: pass pathlib.Path(...) for a path, or bytes", allowed=_ALLOWED
        )
    if isinstance(content, os.PathLike):
        path = Path(content)
        try:
            return path.read_bytes(), path.name
        except OSError as exc:
            raise InvalidParameterError(param, f"cannot be read: {exc}") from None
    read = getattr(content, "read", None)
    if callable(read):
        if isinstance(content, io.TextIOBase):
            raise InvalidParameterError(param, "is a text-mode file: open it with 'rb'")
        _rewind(content)
        data = read()
        if not isinstance(data, (bytes, bytearray)):
            raise InvalidParameterError(
                param, f"read() gave {type(data).__name__}, not bytes: open it with 'rb'"
            )
        name = getattr(content, "name", None)
        return bytes(data), os.path.basename(name) if isinstance(name, str) and name else None
    raise InvalidParameterError(param, f"got {type(content).__name__}", allowed=_ALLOWED)


def _rewind(content: object) -> None:
    """Go back to the start of a seekable file, as httpx (and so openai) does before sending
    one: a file read part way (its first line looked at) is still uploaded whole."""
    seekable = getattr(content, "seekable", None)
    try:
        if callable(seekable) and seekable():
            content.seek(0)  # type: ignore[attr-defined]
    except (OSError, ValueError):  # a closed or unseekable stream: read what it gives
        pass
