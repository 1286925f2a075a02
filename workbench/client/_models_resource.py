"""The ``models`` resource: what the server serves, sync and async."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from ..types import Model, ModelDeleted
from ..types.completion_create_params import RequestOptions as OptionsParams
from ._pagination import AsyncPaginator, SyncCursorPage
from ._resource import AsyncResource, Resource, options, path_id

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncModels", "Models"]


class Models(Resource):
    """``client.models``."""

    _client: Client

    @property
    def with_raw_response(self) -> Models:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return Models(self._client, raw=True)

    def list(self, **extra: Unpack[OptionsParams]) -> SyncCursorPage[Model]:
        """Every model the server offers: ``.data``, or iterate the page."""
        result: Any = self._page("/models", {}, extra, Model)
        return result  # type: ignore[no-any-return]

    def retrieve(self, model: str, **extra: Unpack[OptionsParams]) -> Model:
        """One model by id."""
        request = options("get", f"/models/{path_id('model', model)}", extra)
        result: Any = self._client._request(request, cast_to=Model, raw=self._raw)
        return result  # type: ignore[no-any-return]

    def delete(self, model: str, **extra: Unpack[OptionsParams]) -> ModelDeleted:
        """Delete a fine-tuned model you own."""
        request = options("delete", f"/models/{path_id('model', model)}", extra)
        result: Any = self._client._request(request, cast_to=ModelDeleted, raw=self._raw)
        return result  # type: ignore[no-any-return]


class AsyncModels(AsyncResource):
    """``client.models`` of the ``AsyncClient``."""

    _client: AsyncClient

    @property
    def with_raw_response(self) -> AsyncModels:
        """The same methods, returning an ``APIResponse`` (headers, status, ``.parse()``)."""
        return AsyncModels(self._client, raw=True)

    def list(self, **extra: Unpack[OptionsParams]) -> AsyncPaginator[Model]:
        """Every model the server offers: ``await`` for the page, or ``async for`` the models."""
        result: Any = self._page("/models", {}, extra, Model)
        return result  # type: ignore[no-any-return]

    async def retrieve(self, model: str, **extra: Unpack[OptionsParams]) -> Model:
        """One model by id."""
        request = options("get", f"/models/{path_id('model', model)}", extra)
        result: Any = await self._client._request(request, cast_to=Model, raw=self._raw)
        return result  # type: ignore[no-any-return]

    async def delete(self, model: str, **extra: Unpack[OptionsParams]) -> ModelDeleted:
        """Delete a fine-tuned model you own."""
        request = options("delete", f"/models/{path_id('model', model)}", extra)
        result: Any = await self._client._request(request, cast_to=ModelDeleted, raw=self._raw)
        return result  # type: ignore[no-any-return]
