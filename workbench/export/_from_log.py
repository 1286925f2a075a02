"""Sources read straight from the SQLite conversation log (every conversation ever run)."""

from __future__ import annotations

from pathlib import Path

from ..conversation._log import ConversationLog, default_log_path
from ._sources import Source

__all__ = ["log_sources"]


def log_sources(log: bool | str | Path, since: float | None) -> list[Source]:
    """Each logged conversation updated at or after ``since``, oldest first.

    Args:
        log: ``True`` for the default log (``WORKBENCH_LOG`` or the user's data directory), or
            the path of a log file.
        since: seconds since the epoch, or None for every conversation.

    Returns:
        No source when the default log does not exist yet.

    Raises:
        FileNotFoundError: a log path given explicitly does not exist.
    """
    path = default_log_path() if log is True else Path(str(log)).expanduser()
    if not path.exists():
        if log is True:
            return []
        raise FileNotFoundError(f"no conversation log at {path}")
    sources: list[Source] = []
    with ConversationLog(path) as db:
        summaries = [s for s in db.conversations() if since is None or s.updated >= since]
        summaries.sort(key=lambda s: (s.created, s.id))
        for summary in summaries:
            saved = db.load(summary.id)
            url = saved.meta.get("base_url")
            sources.append(
                Source(
                    saved.id,
                    saved.system,
                    saved.history(),
                    url if isinstance(url, str) else None,
                )
            )
    return sources
