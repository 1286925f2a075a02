"""The pydantic base every wire model derives from: unknown fields are kept, never an error."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import pydantic
from pydantic import ConfigDict

__all__ = ["BaseModel", "type_tag"]


class BaseModel(pydantic.BaseModel):
    """A response object from the API.

    Fields a server adds that this version does not know are kept as extra attributes
    (``model.model_extra``) and are written back by ``model_dump``.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def to_dict(self, *, exclude_unset: bool = True) -> dict[str, Any]:
        """Return the object as plain JSON-ready data, by default as the server sent it."""
        return self.model_dump(mode="json", exclude_unset=exclude_unset)

    def to_json(self, *, indent: int | None = 2, exclude_unset: bool = True) -> str:
        """Return the object as a JSON string, by default as the server sent it."""
        return self.model_dump_json(indent=indent, exclude_unset=exclude_unset)


def type_tag(known: Collection[str], other: str) -> Callable[[Any], str]:
    """A pydantic ``Discriminator`` function for a union told apart by ``type``: the type when
    it is one of ``known``, else ``other`` (the loose model that keeps any other type)."""

    def tag(value: Any) -> str:
        kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        return kind if isinstance(kind, str) and kind in known else other

    return tag
