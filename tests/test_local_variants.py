"""The local model samples: identical unseeded requests get the nth variant; a seed (or
temperature 0) makes replies repeat; a grid's repeats are stable whatever order they arrive in."""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import httpx

import workbench
from tests._local import USER, completion, post, server_thread
from workbench.local import LocalModel, LocalTransport
from workbench.local._variants import REPEAT_HEADER


def _text(model: LocalModel, **extra: Any) -> str:
    body = {"model": "workbench-local", "messages": USER, **extra}
    return str(completion(model, body)["choices"][0]["message"]["content"])


def test_identical_unseeded_requests_get_the_next_variant_each() -> None:
    model = LocalModel()
    texts = [_text(model) for _ in range(4)]
    assert len(set(texts)) == 4
    # Deterministic in a fresh model: the same sequence again, starting from the reply the
    # first request always got (variant 0, the same as seed 0).
    again = LocalModel()
    assert [_text(again) for _ in range(4)] == texts
    assert texts[0] == _text(LocalModel(), seed=0)


def test_a_seed_or_temperature_zero_repeats_the_reply() -> None:
    model = LocalModel()
    assert len({_text(model, seed=7) for _ in range(3)}) == 1
    assert len({_text(model, temperature=0) for _ in range(3)}) == 1
    # Seeded requests do not advance the unseeded count.
    assert _text(model) == _text(LocalModel())


def test_streamed_and_whole_requests_count_as_the_same_request() -> None:
    model = LocalModel()
    first = _text(model)
    response = post(model, {"model": "workbench-local", "messages": USER, "stream": True})
    assert response.events is not None
    pieces = [json.loads(e[6:]) for e in response.events if e != b"data: [DONE]\n\n"]
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in pieces)
    assert streamed and streamed != first


def test_other_content_counts_apart_and_reset_starts_again() -> None:
    model = LocalModel()
    first = _text(model)
    other = {"role": "user", "content": "Something else entirely"}
    _text(model, messages=[other])
    assert _text(model) != first  # the second of its kind, whatever came between
    model.reset_variants()
    assert _text(model) == first


def test_numbered_repeats_count_on_their_own() -> None:
    body = {"model": "workbench-local", "messages": USER}

    def numbered(model: LocalModel, repeat: int) -> str:
        response = post(model, body, **{REPEAT_HEADER: str(repeat)})
        return str(json.loads(response.body)["choices"][0]["message"]["content"])

    forward, backward = LocalModel(), LocalModel()
    ahead = [numbered(forward, r) for r in range(3)]
    behind = [numbered(backward, r) for r in reversed(range(3))][::-1]
    assert ahead == behind and len(set(ahead)) == 3
    assert ahead[0] == _text(LocalModel())  # repeat 0 is the plain first reply
    assert numbered(forward, 0) not in ahead  # a second run of the grid samples again


def test_the_server_and_the_transport_sample_alike() -> None:
    model = LocalModel()
    client = workbench.Client(local=LocalModel())
    local = [
        client.chat.completions.create(model="workbench-local", messages=USER).choices[0]
        for _ in range(3)
    ]
    with server_thread(model) as url:
        remote = workbench.Client(base_url=url, api_key="unused")
        served = [
            remote.chat.completions.create(model="workbench-local", messages=USER).choices[0]
            for _ in range(3)
        ]
        remote.close()
    assert [c.message.content for c in served] == [c.message.content for c in local]
    assert len({c.message.content for c in local}) == 3


def test_regenerate_shows_another_reply_unless_the_seed_is_fixed() -> None:
    client = workbench.Client(local=LocalModel())
    chat = workbench.Conversation(client=client, log=False)
    first = chat.send("Tell me about otters").content
    assert chat.regenerate().content != first
    seeded = workbench.Conversation(client=client, log=False, seed=11)
    kept = seeded.send("Tell me about otters").content
    assert seeded.regenerate().content == kept


class _Jitter(httpx.AsyncBaseTransport):
    """The local model in-process, each request held a random moment first: concurrent
    identical requests reach it in another order on every run."""

    def __init__(self, model: LocalModel, seed: int) -> None:
        self.inner = LocalTransport(model)
        self.rng = random.Random(seed)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.rng.random() * 0.02)
        return await self.inner.handle_async_request(request)


def test_grid_repeats_are_stable_whatever_order_they_arrive_in() -> None:
    outputs = []
    for run in range(5):
        model = LocalModel()
        pool = httpx.AsyncClient(transport=_Jitter(model, run))
        client = workbench.AsyncClient(local=model, http_client=pool)
        grid = workbench.Grid(["Say hi", "Say bye"], repeats=4, concurrency=8, client=client)
        result = grid.run(display=False)
        outputs.append([(c.row, c.repeat, c.output) for c in result.cells])
        asyncio.run(pool.aclose())
    assert all(found == outputs[0] for found in outputs[1:])
    for row in (0, 1):  # the repeats of a prompt differ from one another
        assert len({text for r, _, text in outputs[0] if r == row}) == 4
