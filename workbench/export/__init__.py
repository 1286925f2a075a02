"""Transcripts and usage out of conversations, the log and stored completions, and back in:
pandas DataFrames, OpenAI fine-tuning JSONL and Parquet (pandas is imported inside functions).

This layer sits above ``workbench.conversation`` (it reads its histories and its log) beside
``workbench.grid``. ``Conversation``'s ``to_*``, ``from_*`` and ``load`` are doors into it,
imported inside each method (the one import upward, named in the import contract); readers
return neutral ``Transcript`` objects that ``Conversation`` turns into live conversations.
"""

from __future__ import annotations

from ._from_frame import read_frame
from ._jsonl import read_jsonl, write_jsonl
from ._parquet import read_parquet, write_parquet
from ._stored import read_stored, stored_dataframe
from ._tables import to_dataframe, usage_dataframe
from ._transcript import Transcript, TranscriptError

__all__ = [
    "Transcript",
    "TranscriptError",
    "read_frame",
    "read_jsonl",
    "read_parquet",
    "read_stored",
    "stored_dataframe",
    "to_dataframe",
    "usage_dataframe",
    "write_jsonl",
    "write_parquet",
]
