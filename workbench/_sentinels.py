"""The NOT_GIVEN sentinel that keeps an omitted parameter apart from an explicit ``None``."""

from __future__ import annotations

from typing import Final, Literal, TypeAlias, TypeVar

from typing_extensions import override

__all__ = ["NOT_GIVEN", "NotGiven", "NotGivenOr", "strip_not_given"]

_T = TypeVar("_T")


class NotGiven:
    """Marks a parameter the caller did not pass, so it is left out of the request.

    ``None`` is a value (sent as JSON ``null``); ``NOT_GIVEN`` means "do not send".
    """

    __slots__ = ()
    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    @override
    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

NotGivenOr: TypeAlias = "_T | NotGiven"


def strip_not_given(values: dict[str, object]) -> dict[str, object]:
    """Return ``values`` without the entries that are ``NOT_GIVEN``."""
    return {key: value for key, value in values.items() if not isinstance(value, NotGiven)}
