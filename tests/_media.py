"""Test media made from the published formats: images through PIL, WAV through ``wave``, MP3
frames and PDFs byte by byte, and a client whose transport fails the test if it is used."""

from __future__ import annotations

import io
import json
import wave
from typing import Any

import httpx
import pytest

import workbench
from tests._mock import KEY, assert_valid_request
from workbench.local import LocalModel


def picture(
    kind: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB", **save: Any
) -> bytes:
    """An image of ``size`` saved by PIL in ``kind`` (PNG, JPEG, GIF, WEBP, BMP, TIFF)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, "#c82a5a").save(buffer, format=kind, **save)
    return buffer.getvalue()


def animated_gif(frames: int = 3) -> bytes:
    from PIL import Image

    images = [Image.new("RGB", (16, 16), (i * 60, 0, 0)) for i in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=50)
    return buffer.getvalue()


def wav(seconds: float, *, rate: int = 16_000, channels: int = 1, width: int = 2) -> bytes:
    """A silent WAV file of ``seconds``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(bytes(round(seconds * rate) * channels * width))
    return buffer.getvalue()


def mp3_frames(count: int, *, mpeg2: bool = False, id3: bool = False) -> bytes:
    """``count`` silent MPEG audio Layer III frames, laid out from the format's published header:
    MPEG-1 at 128 kbit/s and 44.1 kHz (417-byte frames of 1,152 samples), or MPEG-2 at 64 kbit/s
    and 22.05 kHz (208-byte frames of 576 samples); with an ID3v2 tag in front when asked."""
    header = b"\xff\xf3\x80\x00" if mpeg2 else b"\xff\xfb\x90\x00"
    length = 208 if mpeg2 else 417
    frames = (header + bytes(length - 4)) * count
    if id3:  # "ID3", version 4.0, no flags, a syncsafe size of 20, then 20 bytes of tag
        frames = b"ID3\x04\x00\x00\x00\x00\x00\x14" + bytes(20) + frames
    return frames


def mp3_seconds(count: int, *, mpeg2: bool = False) -> float:
    return count * (576 / 22050 if mpeg2 else 1152 / 44100)


def pdf(pages: int = 2) -> bytes:
    """A small PDF with ``pages`` page objects (enough for a header read, not for a viewer)."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = [
        "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
        f"2 0 obj << /Type /Pages /Kids [{kids}] /Count {pages} >> endobj",
        *(f"{3 + i} 0 obj << /Type /Page /Parent 2 0 R >> endobj" for i in range(pages)),
    ]
    return ("%PDF-1.4\n" + "\n".join(objects) + "\ntrailer << /Root 1 0 R >>\n%%EOF\n").encode()


def never_sent(**kwargs: Any) -> workbench.Client:
    """A client whose transport fails the test if anything is sent through it."""

    def handler(request: httpx.Request) -> httpx.Response:
        pytest.fail(f"nothing should be sent, but {request.method} {request.url} was")

    transport = httpx.MockTransport(handler)
    return workbench.Client(api_key=KEY, http_client=httpx.Client(transport=transport), **kwargs)


def local_over_http(model: LocalModel | None = None) -> tuple[workbench.Client, list[Any]]:
    """A client talking to a local model through a recording ``MockTransport``: every request
    body is kept (and checked against the spec) before the model answers it."""
    model = model or LocalModel()
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        body = json.loads(request.content) if request.content else None
        if request.method == "POST":
            assert_valid_request(body)
            bodies.append(body)
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = request.url.path.removeprefix("/v1")
        answer = model.handle(
            request.method, path, dict(request.url.params), headers, request.content
        )
        content = b"".join(answer.events) if answer.events is not None else answer.body
        return httpx.Response(answer.status, headers=answer.headers, content=content)

    transport = httpx.MockTransport(handler)
    client = workbench.Client(
        api_key=KEY, base_url="http://local.test/v1", http_client=httpx.Client(transport=transport)
    )
    return client, bodies
