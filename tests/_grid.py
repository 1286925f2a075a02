"""Helpers for the grid's tests: the local model with faults aimed at some cells, and a priced
(mock OpenAI) client."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

import workbench
from tests._mock import KEY, Recorder, chunk_json, sse_body, sse_response, text_chunks
from workbench.local import LocalModel, LocalTransport, Pacing


class FaultsByMarker(httpx.AsyncBaseTransport):
    """The local model in-process, adding an ``x-workbench-fault`` header to every request whose
    body contains a marker (``{"RATE": "429;times=2;retry-after=0.01"}``): faults aimed at the
    cells whose prompts carry the marker. Each header fires on the first N requests carrying it.
    """

    def __init__(self, model: LocalModel, faults: Mapping[str, str]) -> None:
        self.inner = LocalTransport(model)
        self.faults = dict(faults)
        self.bodies: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if request.url.path.endswith("/chat/completions"):
            self.bodies.append(json.loads(body))
        specs = [spec for marker, spec in self.faults.items() if marker.encode() in body]
        if specs:
            request.headers[workbench.local.FAULT_HEADER] = ",".join(specs)
        return await self.inner.handle_async_request(request)


def local_client(
    faults: Mapping[str, str] | None = None,
    *,
    pacing: Pacing | None = None,
    max_retries: int = 2,
) -> tuple[workbench.AsyncClient, FaultsByMarker]:
    """An ``AsyncClient`` on a fresh local model (faults by marker), and its transport."""
    model = LocalModel(pacing=pacing)
    transport = FaultsByMarker(model, faults or {})
    client = workbench.AsyncClient(
        local=model,
        http_client=httpx.AsyncClient(transport=transport),
        max_retries=max_retries,
    )
    return client, transport


USAGE = {
    "prompt_tokens": 1000,
    "completion_tokens": 500,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 200},
    "completion_tokens_details": {"reasoning_tokens": 100},
}


def priced_client(recorder: Recorder | None = None) -> tuple[workbench.AsyncClient, Recorder]:
    """An ``AsyncClient`` for ``https://api.openai.com/v1`` (so ``gpt-4o-mini`` has a price)
    over a ``MockTransport`` that streams "Hello there" with ``USAGE``."""
    usage_chunk = {**chunk_json(), "choices": [], "usage": USAGE}
    recorder = recorder or Recorder(
        sse_response(
            sse_body(*text_chunks("Hello", " there"), usage_chunk), **{"x-request-id": "req_1"}
        )
    )
    client = workbench.AsyncClient(
        api_key=KEY,
        base_url="https://api.openai.com/v1",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(recorder)),
    )
    return client, recorder
