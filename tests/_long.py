"""Long sessions without the model's growing work: a client that shows the model only the
current turn (``tests/test_long_sessions.py`` and ``bench/bench_long.py``'s memory pass)."""

from __future__ import annotations

from typing import Any


class TurnOnly:
    """A client that shows the model only the current turn of each request (from the last user
    message on), as a context window would.

    The conversation hands over its whole history as ever (``seen`` records its length); only
    the model's work and the request body stay the size of one turn, so thousands of turns run
    in seconds. Their growth with the history is the model's and the wire's, measured in
    ``bench/bench_long.py``; what workbench keeps is real and full size.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self.seen: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    @property
    def chat(self) -> TurnOnly:
        return self

    @property
    def completions(self) -> TurnOnly:
        return self

    def _turn(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.seen.append(len(messages))
        last = len(messages) - 1
        while messages[last]["role"] != "user":
            last -= 1
        return messages[last:]

    def stream(self, *, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        return self._client.chat.completions.stream(messages=self._turn(messages), **kwargs)

    def create(self, *, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        return self._client.chat.completions.create(messages=self._turn(messages), **kwargs)
