"""What the ``/files`` endpoints return: an uploaded file's record, and a deletion's answer."""

from __future__ import annotations

from typing import Literal

from ._wire_model import BaseModel

__all__ = ["FileDeleted", "FileObject", "FilePurpose", "FileStatus"]

FilePurpose = Literal["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]
"""What an upload is for (``files.create(purpose=...)``)."""

FileStatus = Literal["uploaded", "processed", "error"]


class FileObject(BaseModel):
    """A file the server holds: an upload, or a batch's output or error file.

    ``purpose`` is an upload's purpose, or one the server gives its own files
    (``batch_output``, ``fine-tune-results``, ...).
    """

    id: str
    bytes: int
    created_at: int
    filename: str
    object: Literal["file"] | str = "file"
    purpose: str
    status: FileStatus | str = "uploaded"
    expires_at: int | None = None
    status_details: str | None = None


class FileDeleted(BaseModel):
    """The answer to deleting a file."""

    id: str
    deleted: bool
    object: Literal["file"] | str = "file"
