"""Predicted outputs on the local model: the prediction's shape, and how usage counts it.

The rule: of the prediction's tokens, those in the longest common subsequence with the reply's
tokens (a spoken reply's transcript) are *accepted*; the others are *rejected*. So accepted +
rejected is the prediction's length (for each choice; usage sums the choices), a prediction
equal to the reply is accepted whole, and rejected tokens are billed as completion tokens, as
the API bills them. The reply itself does not depend on the prediction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._exceptions import InvalidParameterError
from ._phrasing import tokenize

__all__ = ["check_prediction", "lcs_length", "prediction_tokens", "prediction_usage"]

_SHAPE = "{'type': 'content', 'content': a string or a list of text parts}"


def check_prediction(body: Mapping[str, Any]) -> None:
    """Refuse, as the API does, a malformed ``prediction``.

    The API also refuses a prediction alongside ``n`` > 1, ``logprobs``, positive penalties,
    audio, ``max_completion_tokens`` or tools (its "Predicted Outputs" guide); the local model
    accepts those and counts the prediction against every choice, so that one request can
    exercise every parameter at once.
    """
    prediction = body.get("prediction")
    if prediction is None:
        return
    content = prediction.get("content") if isinstance(prediction, Mapping) else None
    parts_ok = (
        isinstance(content, list)
        and bool(content)
        and all(
            isinstance(p, Mapping) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
    )
    if (
        not isinstance(prediction, Mapping)
        or prediction.get("type") != "content"
        or not (isinstance(content, str) or parts_ok)
    ):
        raise InvalidParameterError("prediction", f"got {prediction!r}", allowed=_SHAPE)


def prediction_tokens(prediction: Mapping[str, Any] | None) -> list[str]:
    """The prediction's tokens (its text parts joined), or none without a prediction."""
    if prediction is None:
        return []
    content = prediction["content"]
    text = content if isinstance(content, str) else "".join(p["text"] for p in content)
    return tokenize(text)


def prediction_usage(predicted: Sequence[str], reply: Sequence[str]) -> tuple[int, int]:
    """(accepted, rejected) prediction tokens for a reply (see the module docstring)."""
    accepted = lcs_length(predicted, reply)
    return accepted, len(predicted) - accepted


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """The length of the longest common subsequence of ``a`` and ``b``.

    Bit-parallel (Allison and Dix; Hyyro's form): one big-integer step per item of ``b``, so a
    prediction of thousands of tokens costs microseconds per reply token, not a table.
    """
    if not a or not b:
        return 0
    where: dict[str, int] = {}
    for i, token in enumerate(a):
        where[token] = where.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    row = full  # a 0 bit marks a position of ``a`` matched so far
    for token in b:
        matches = row & where.get(token, 0)
        row = ((row + matches) | (row - matches)) & full
    return len(a) - row.bit_count()
