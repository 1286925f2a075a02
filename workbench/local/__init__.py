"""The embedded local model: a deterministic simulator that speaks Chat Completions and Responses.

``workbench.Client()`` with no API key and no base URL talks to it in-process; choose it
explicitly with ``Client(local=True)`` (or ``base_url="local"``, or ``OPENAI_BASE_URL=local``),
or pass ``Client(local=LocalModel(pacing=Pacing(tokens_per_second=30)))`` to configure it. Over
HTTP: ``python -m workbench serve``. It also keeps files (``/v1/files``) and runs batches
(``/v1/batches``) in simulated time (``BatchTiming``, ``BatchLimits``).

The default model (``default_local_model()``, the one those share) streams at 40 tokens/s in a
Jupyter kernel, so that streaming and the Stop button can be seen, and unpaced in scripts and
tests; ``WORKBENCH_LOCAL_TOKENS_PER_SECOND`` (a number, 0 for unpaced) sets its rate anywhere,
and the server's when ``--tokens-per-second`` is not given. A ``LocalModel()`` made by hand is
unpaced unless given a ``Pacing``.
"""

from __future__ import annotations

import sys
import threading

from ._batch_input import BatchLimits
from ._batch_store import BatchTiming
from ._core import LOCAL_MODELS, LocalModel, LocalResponse
from ._embeddings import LOCAL_EMBEDDING_MODEL
from ._faults import FAULT_HEADER, Fault, parse_fault
from ._kernel import display_note, kernel_shell
from ._pacing import Clock, Pacing, default_pacing
from ._transport import LocalTransport

__all__ = [
    "FAULT_HEADER",
    "LOCAL_EMBEDDING_MODEL",
    "LOCAL_MODELS",
    "BatchLimits",
    "BatchTiming",
    "Clock",
    "Fault",
    "LocalModel",
    "LocalResponse",
    "LocalTransport",
    "Pacing",
    "default_local_model",
    "notice",
    "parse_fault",
]

_NOTICE = (
    "workbench: no OPENAI_API_KEY or OPENAI_BASE_URL set, so replies come from the offline local"
    " model (a simulator, not a real model). Set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL"
    " for a compatible server, to talk to a real model."
)
"""What ``notice()`` says; the same words in a kernel and on a terminal, whatever the pacing
(so a notebook's saved output does not depend on the environment it ran in)."""

_default: LocalModel | None = None
_lock = threading.Lock()
_noticed = False


def default_local_model() -> LocalModel:
    """The process-wide local model, shared by every client that falls back to it (so stored
    completions outlive a client).

    Its pacing is chosen when it is first made: ``WORKBENCH_LOCAL_TOKENS_PER_SECOND`` when set,
    else 40 tokens/s in a Jupyter kernel, else unpaced.

    Raises:
        InvalidParameterError: ``WORKBENCH_LOCAL_TOKENS_PER_SECOND`` is not a number >= 0.
    """
    global _default
    with _lock:
        if _default is None:
            _default = LocalModel(pacing=default_pacing())
        return _default


def notice() -> None:
    """Say once per process that the local model answers instead of a real one, and how to use
    a real one: in a Jupyter kernel as an informational note in the cell's output, elsewhere as
    one line on stderr."""
    global _noticed
    if _noticed:
        return
    _noticed = True
    shell = kernel_shell()
    if shell is not None:
        display_note(shell, _NOTICE)
    else:
        print(_NOTICE, file=sys.stderr)
