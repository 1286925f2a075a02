"""Which cassette a client's arguments, or the environment, ask for.

Kept apart from the rest of the package, which loads only when a cassette is asked for.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from .._exceptions import WorkbenchError

if TYPE_CHECKING:
    from ._cassette import Cassette

__all__ = ["BASE_URL_EXTENSION", "open_cassette"]

BASE_URL_EXTENSION = "workbench.base_url"
"""The request extension in which the client says which base URL the request's path is below."""


def open_cassette(
    record: str | os.PathLike[str] | None,
    replay: str | os.PathLike[str] | None,
    record_missing: bool | None,
    cassette: Cassette | Literal[False] | None,
) -> Cassette | None:
    """The cassette a client's arguments ask for, else the one ``WORKBENCH_RECORD`` /
    ``WORKBENCH_REPLAY`` (with ``WORKBENCH_RECORD_MISSING=1``) name; None for none."""
    if cassette is not None:
        if record is not None or replay is not None or record_missing is not None:
            raise WorkbenchError(
                "pass cassette= alone, without record=, replay= or record_missing="
            )
        from ._cassette import Cassette

        if cassette is not False and not isinstance(cassette, Cassette):
            raise WorkbenchError(f"cassette must be a Cassette, got {type(cassette).__name__}")
        return None if cassette is False else cassette
    if record is None and replay is None:
        record = os.environ.get("WORKBENCH_RECORD") or None
        replay = os.environ.get("WORKBENCH_REPLAY") or None
        if record is not None and replay is not None:
            raise WorkbenchError(
                "WORKBENCH_RECORD and WORKBENCH_REPLAY are both set: set one (with"
                " WORKBENCH_RECORD_MISSING=1 to replay and record what is missing)"
            )
    if record is not None and replay is not None:
        raise WorkbenchError(
            "pass record= or replay= (with record_missing=True to record what is missing), not both"
        )
    if record_missing and replay is None:
        raise WorkbenchError("record_missing=True goes with replay=PATH (the cassette to complete)")
    if record_missing is None:
        record_missing = os.environ.get("WORKBENCH_RECORD_MISSING", "").lower() in ("1", "true")
    if record is None and replay is None:
        return None
    from ._cassette import Cassette

    if record is not None:
        return Cassette(record, mode="record")
    assert replay is not None
    return Cassette(replay, mode="record_missing" if record_missing else "replay")
