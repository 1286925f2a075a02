"""Files and folders for their owner's eyes only: what workbench creates holds prompts and replies
(the log and its WAL and SHM files, cassettes, exports and their media), so it is made 0600
(files) and 0700 (folders) from the start, whatever the umask, as shell history and SSH keys are.

A file or folder already there keeps its mode unless ``make_private`` is asked to take group's
and others' access away (the log does, when it opens). On Windows a mode only sets or clears the
read-only flag: these calls leave things writable there, harmless but no protection.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["FILE_MODE", "FOLDER_MODE", "make_private", "open_private", "private_folder"]
__all__ += ["replace_privately"]

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_OTHERS = 0o077  # group's and others' read, write and search bits

Where = str | os.PathLike[str]


def private_folder(folder: Where, *, parents: bool = False) -> None:
    """Create ``folder`` as 0700 (with ``parents``, each missing folder above it too); a folder
    already there, the user's home or a project folder, is left as it is.

    Raises:
        FileNotFoundError: its parent is missing (without ``parents``).
        FileExistsError: something other than a folder is there.
    """
    path = Path(folder)
    try:
        os.mkdir(path, FOLDER_MODE)
    except FileNotFoundError:
        if not parents or path.parent == path:
            raise
        private_folder(path.parent, parents=True)
        private_folder(path)
    except FileExistsError:
        if not path.is_dir():
            raise
    else:
        os.chmod(path, FOLDER_MODE)  # exactly: a umask may have taken the owner's bits too


def open_private(path: Where, flags: int) -> int:
    """``os.open(path, flags)``, creating a missing file as 0600 (a file already there keeps its
    mode); the descriptor is binary, for ``os.fdopen(fd, "...b")``."""
    flags |= getattr(os, "O_BINARY", 0)  # Windows would translate newlines otherwise
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return os.open(path, flags)
    try:
        os.chmod(path, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def replace_privately(target: Path) -> Iterator[BinaryIO]:
    """A new 0600 file beside ``target``, open for writing, that replaces ``target`` when the
    block ends without error and is removed otherwise: ``target`` appears whole or not at all
    (a file it replaces, whatever its mode, is replaced by a private one)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)  # made 0600
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_private(path: Where) -> None:
    """Take group's and others' access away from the file or folder at ``path`` if it has any,
    keeping its owner's (a missing path is left missing).

    Raises:
        PermissionError: it belongs to another user.
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    if mode & _OTHERS:
        os.chmod(path, mode & ~_OTHERS)
