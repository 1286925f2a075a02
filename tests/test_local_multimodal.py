"""The local model with images, audio in and out, files and predicted outputs: every answer
checked against the OpenAPI spec, every clip decoded as the format asked for."""

from __future__ import annotations

import base64
import io
import json
import math
import wave
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench
from tests._local import chunks, completion, post
from tests._media import local_over_http, mp3_frames, mp3_seconds, pdf, picture, wav
from workbench.local import LocalModel
from workbench.local._phrasing import tokenize
from workbench.local._predict import lcs_length
from workbench.local._speech import SAMPLE_RATE

SPOKEN = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}


def ask(*parts: Any, **extra: Any) -> dict[str, Any]:
    content = [{"type": "text", "text": p} if isinstance(p, str) else p for p in parts]
    return {"model": "workbench-local", "messages": [{"role": "user", "content": content}], **extra}


def reply(model: LocalModel, body: dict[str, Any]) -> str:
    message = completion(model, body)["choices"][0]["message"]
    return str(message["content"] or message["audio"]["transcript"])


def spoken(stream: list[dict[str, Any]]) -> dict[str, Any]:
    """A streamed choice 0's audio put together, with the order its pieces came in."""
    audio: dict[str, Any] = {"data": "", "transcript": "", "order": []}
    for chunk in stream:
        for part in chunk["choices"]:
            piece = part["delta"].get("audio")
            if piece is None:
                continue
            for key, value in piece.items():
                if key in ("data", "transcript"):
                    audio[key] += value
                else:
                    audio[key] = value
                if not audio["order"] or audio["order"][-1] != key:
                    audio["order"].append(key)
    return audio


# -- images, audio and files in ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "size", "said"),
    [
        ("PNG", (640, 480), "an image (PNG, 640x480, "),
        ("JPEG", (1024, 768), "an image (JPEG, 1024x768, "),
        ("GIF", (32, 32), "an image (GIF, 32x32, "),
        ("WEBP", (300, 200), "an image (WebP, 300x200, "),
    ],
)
def test_an_inline_image_is_acknowledged_with_its_format_and_size(
    kind: str, size: tuple[int, int], said: str
) -> None:
    data = picture(kind, size)
    text = reply(LocalModel(), ask("What is in this picture?", workbench.image(data)))
    assert said + f"{len(data):,} bytes)" in text
    assert "What is in this picture?" in text


def test_an_image_url_is_named_not_fetched_and_detail_is_heard() -> None:
    url = "https://example.com/cats/tabby.png"
    text = reply(LocalModel(), ask("Describe", workbench.image(url, detail="high")))
    assert f"an image at {url} (not fetched: the local model is offline, detail high)" in text
    unreadable = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    assert "an image I could not read (image/png, 8 bytes)" in reply(LocalModel(), ask(unreadable))


def test_image_tokens_follow_the_documented_tile_rule() -> None:
    model = LocalModel()
    text_only = completion(model, ask("Look"))["usage"]["prompt_tokens"]

    def cost(part: Any) -> int:
        return int(completion(model, ask("Look", part))["usage"]["prompt_tokens"]) - text_only

    # Each image part adds the bracketed part name to the text (a few tokens) and its tiles.
    name = cost({"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}) - 85
    assert cost(workbench.image(picture("PNG", (64, 48)), detail="low")) == name + 85
    assert cost(workbench.image(picture("PNG", (640, 480)))) == name + 85 + 170 * 2  # 2x1 tiles
    # 4096 x 2048 fits 2048 x 1024, then 1536 x 768: 3 x 2 tiles
    assert cost(workbench.image(picture("PNG", (4096, 2048)))) == name + 85 + 170 * 6


@pytest.mark.parametrize(
    ("data", "said", "seconds"),
    [
        (wav(2.5), "a recording (WAV, 2.50 seconds)", 2.5),
        (wav(0.75, rate=44_100, channels=2), "a recording (WAV, 0.75 seconds)", 0.75),
        (mp3_frames(120), f"a recording (MP3, about {mp3_seconds(120):.2f} seconds)", 3.13),
    ],
)
def test_audio_input_is_acknowledged_with_its_duration_and_counted(
    data: bytes, said: str, seconds: float
) -> None:
    data_part = workbench.audio(data)
    body = ask("Listen to this", data_part)
    whole = completion(LocalModel(), body)
    assert said in whole["choices"][0]["message"]["content"]
    audio_tokens = whole["usage"]["prompt_tokens_details"]["audio_tokens"]
    assert audio_tokens == math.ceil(round(seconds, 2) * 10)
    streamed = chunks(LocalModel(), {**body, "stream_options": {"include_usage": True}})
    assert streamed[-1]["usage"] == whole["usage"]


def test_file_parts_are_named_with_their_pages_and_an_upload_id_is_not_fetched() -> None:
    model = LocalModel()
    text = reply(model, ask("Summarize", workbench.file(pdf(3), filename="q3.pdf")))
    assert f"the file 'q3.pdf' (PDF, {len(pdf(3)):,} bytes, 3 pages)" in text
    text = reply(model, ask("Summarize", workbench.file("file-abc123")))
    assert "an uploaded file file-abc123 (not available offline)" in text


def test_several_parts_are_listed_in_order_and_only_for_the_last_user_turn() -> None:
    model = LocalModel()
    body = ask("All of these", workbench.image(picture()), workbench.audio(wav(1.0)))
    body["messages"][0]["content"].append(workbench.file(pdf(1)))
    text = reply(model, body)
    assert "You sent an image (PNG, 64x48, " in text
    assert ", a recording (WAV, 1.00 seconds) and the file 'document.pdf' (PDF, " in text
    later = {
        "model": "workbench-local",
        "messages": [
            *body["messages"],
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": "And now just words"},
        ],
    }
    assert "You sent" not in reply(model, later)


def test_multimodal_requests_from_the_client_match_the_spec_and_reach_the_model() -> None:
    client, bodies = local_over_http()
    parts = [
        {"type": "text", "text": "What are these?"},
        workbench.image(picture("JPEG")),
        workbench.image("https://example.com/a.webp", detail="low"),
        workbench.audio(mp3_frames(10)),
        workbench.file(pdf(2)),
        workbench.file("file-XYZ"),
    ]
    done = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": parts}]
    )
    assert bodies[0]["messages"][0]["content"] == parts  # sent as built, checked by the spec
    assert "an image (JPEG, 64x48" in (done.choices[0].message.content or "")


# -- audio out -----------------------------------------------------------------------------------


def decode_wav(data: bytes) -> tuple[wave._wave_params, bytes]:
    with wave.open(io.BytesIO(data), "rb") as clip:
        return clip.getparams(), clip.readframes(clip.getnframes())


def test_a_spoken_reply_is_a_valid_wav_with_its_transcript_and_no_text_content() -> None:
    model = LocalModel()
    # Seeded: the same request again gives the same words (unseeded, another sample).
    whole = completion(model, ask("Say something kind", seed=5, **SPOKEN))
    message = whole["choices"][0]["message"]
    assert message["content"] is None and message["refusal"] is None
    audio = message["audio"]
    assert set(audio) == {"id", "data", "expires_at", "transcript"}
    assert audio["id"].startswith("audio_") and audio["expires_at"] == whole["created"] + 3600
    assert 'You said: "Say something kind"' in audio["transcript"]
    params, frames = decode_wav(base64.b64decode(audio["data"]))
    assert (params.nchannels, params.sampwidth, params.framerate) == (1, 2, SAMPLE_RATE)
    seconds = params.nframes / params.framerate
    assert 0.1 < seconds <= 32 * 0.12 + 1e-9 and any(frames), "a short clip, not silence"
    details = whole["usage"]["completion_tokens_details"]
    assert details["audio_tokens"] == math.ceil(seconds * 10)
    again = completion(model, ask("Say something kind", seed=5, **SPOKEN))["choices"][0]["message"]
    assert again["audio"]["data"] == audio["data"], "the same words give the same clip"
    assert again["audio"]["id"] != audio["id"]


def test_pcm16_is_the_wav_clip_without_its_header() -> None:
    model = LocalModel()
    body = ask("Count to three", **SPOKEN)
    clip = completion(model, body)["choices"][0]["message"]["audio"]["data"]
    raw = completion(model, {**body, "audio": {"voice": "verse", "format": "pcm16"}})
    pcm = base64.b64decode(raw["choices"][0]["message"]["audio"]["data"])
    assert pcm == decode_wav(base64.b64decode(clip))[1] and len(pcm) % 2 == 0


def test_the_stream_sends_id_transcript_data_then_expiry_and_agrees_with_the_whole_reply() -> None:
    model = LocalModel()
    body = ask("Tell me a story", seed=5, **SPOKEN)  # seeded: both requests get the same reply
    whole = completion(model, body)["choices"][0]["message"]["audio"]
    stream = chunks(model, {**body, "stream_options": {"include_usage": True}})
    opening = stream[0]["choices"][0]["delta"]
    assert opening["role"] == "assistant" and opening["content"] is None
    assert set(opening["audio"]) == {"id"}
    heard = spoken(stream)
    assert heard["order"] == ["id", "transcript", "data", "expires_at"]
    assert heard["transcript"] == whole["transcript"] and heard["data"] == whole["data"]
    pieces = [
        c["choices"][0]["delta"]["audio"]["data"]
        for c in stream
        if c["choices"] and "data" in (c["choices"][0]["delta"].get("audio") or {})
    ]
    assert len(pieces) > 1 and all(len(p) % 4 == 0 or p is pieces[-1] for p in pieces)
    assert b"".join(base64.b64decode(p) for p in pieces) == base64.b64decode(whole["data"])
    assert all("content" not in c["choices"][0]["delta"] for c in stream[1:] if c["choices"])
    assert stream[-2]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("stream", [False, True])
def test_the_client_and_accumulator_keep_the_whole_audio_object(stream: bool) -> None:
    client, _ = local_over_http()
    kwargs: dict[str, Any] = {
        "model": "gpt-4o-audio-preview",
        "messages": [{"role": "user", "content": "Hello"}],
        **SPOKEN,
    }
    if stream:
        with client.chat.completions.stream(**kwargs) as s:
            done: Any = s.get_final_completion()
    else:
        done = client.chat.completions.create(**kwargs)
    audio = done.choices[0].message.audio
    assert audio is not None and audio.id.startswith("audio_") and audio.expires_at > 0
    assert decode_wav(base64.b64decode(audio.data))[0].nframes > 0
    assert audio.transcript.startswith("[local model")


@pytest.mark.parametrize("audio_format", ["mp3", "opus", "aac", "flac"])
def test_formats_the_local_model_cannot_encode_are_a_clear_400(audio_format: str) -> None:
    spoken_as = {
        "modalities": ["text", "audio"],
        "audio": {"voice": "alloy", "format": audio_format},
    }
    response = post(LocalModel(), ask("Hi", **spoken_as))
    assert response.status == 400
    error = json.loads(response.body)["error"]
    assert error["param"] == "audio.format" and error["type"] == "invalid_request_error"
    assert (
        f"cannot encode {audio_format!r}" in error["message"]
        and "'wav', 'pcm16'" in error["message"]
    )
    client, _ = local_over_http()
    with pytest.raises(workbench.BadRequestError, match="cannot encode"):
        client.chat.completions.create(
            model="gpt-4o-audio-preview",
            messages=[{"role": "user", "content": "Hi"}],
            modalities=["text", "audio"],
            audio={"voice": "alloy", "format": audio_format},  # type: ignore[typeddict-item]
        )


@pytest.mark.parametrize("stream", [False, True])
def test_a_follow_up_turn_refers_to_the_spoken_reply_by_id(stream: bool) -> None:
    client, bodies = local_over_http()
    chat = workbench.Conversation(client=client, log=False, **SPOKEN)  # type: ignore[arg-type]
    heard: list[str] = []
    chat.subscribe(lambda e: heard.append(e.delta) if e.type == "content.delta" else None)  # type: ignore[attr-defined]
    first = chat.send("Sing me something", stream=stream)
    assert first.content is None and first.audio is not None
    assert set(first.audio) >= {"id", "data", "expires_at", "transcript"}
    assert first.text == first.audio["transcript"] and first.text.startswith("[local model")
    if stream:
        assert "".join(heard) == first.text, "the transcript streams as the reply's text"
    second = chat.send("Again, please", stream=stream)
    assert second.status == "complete" and second.audio is not None
    assert bodies[1]["messages"][1] == {
        "role": "assistant",
        "content": None,
        "audio": {"id": first.audio["id"]},
    }
    assert "This is your message number 2" in second.text


# -- predicted outputs ---------------------------------------------------------------------------


def usage_of(model: LocalModel, body: dict[str, Any]) -> dict[str, Any]:
    return dict(completion(model, body)["usage"])


def test_prediction_usage_counts_what_the_reply_reuses() -> None:
    model = LocalModel()
    body = {  # seeded: every request below gets the same reply
        "model": "workbench-local",
        "messages": [{"role": "user", "content": "Refactor it"}],
        "seed": 1,
    }
    text = reply(model, body)
    tokens = tokenize(text)
    plain = usage_of(model, body)

    exact = usage_of(model, {**body, "prediction": {"type": "content", "content": text}})
    details = exact["completion_tokens_details"]
    assert details["accepted_prediction_tokens"] == len(tokens)
    assert details["rejected_prediction_tokens"] == 0
    assert exact["completion_tokens"] == plain["completion_tokens"]

    half = "".join(tokens[: len(tokens) // 2]) + " zebra quokka narwhal"
    partial = usage_of(model, {**body, "prediction": {"type": "content", "content": half}})
    details = partial["completion_tokens_details"]
    predicted = len(tokenize(half))
    assert details["accepted_prediction_tokens"] == len(tokens) // 2
    assert details["rejected_prediction_tokens"] == predicted - len(tokens) // 2 == 3
    assert partial["completion_tokens"] == plain["completion_tokens"] + 3, "rejected are billed"
    assert partial["total_tokens"] == partial["prompt_tokens"] + partial["completion_tokens"]

    as_parts = [{"type": "text", "text": half[:10]}, {"type": "text", "text": half[10:]}]
    same = usage_of(model, {**body, "prediction": {"type": "content", "content": as_parts}})
    assert same == partial

    streamed = chunks(model, {**body, "prediction": {"type": "content", "content": half},
                              "stream_options": {"include_usage": True}})  # fmt: skip
    assert streamed[-1]["usage"] == partial


def test_a_prediction_against_a_spoken_reply_counts_its_transcript() -> None:
    model = LocalModel()
    body = ask("Speak", **SPOKEN)
    transcript = completion(model, body)["choices"][0]["message"]["audio"]["transcript"]
    usage = usage_of(model, {**body, "prediction": {"type": "content", "content": transcript}})
    assert usage["completion_tokens_details"]["accepted_prediction_tokens"] == len(
        tokenize(transcript)
    )
    assert usage["completion_tokens_details"]["rejected_prediction_tokens"] == 0


@pytest.mark.parametrize(
    "prediction",
    [{"type": "content"}, {"type": "text", "content": "x"}, {"type": "content", "content": []},
     {"type": "content", "content": [{"type": "image_url"}]}, "just text"],
)  # fmt: skip
def test_a_malformed_prediction_is_a_400_naming_it(prediction: Any) -> None:
    response = post(LocalModel(), ask("Hi", prediction=prediction))
    assert response.status == 400
    assert json.loads(response.body)["error"]["param"] == "prediction"


def _lcs_table(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        row = [0]
        for j, y in enumerate(b):
            row.append(previous[j] + 1 if x == y else max(previous[j + 1], row[j]))
        previous = row
    return previous[-1]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("abcde"), max_size=40), st.lists(st.sampled_from("abcde"), max_size=40)
)
def test_the_bit_parallel_lcs_agrees_with_the_table(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == _lcs_table(a, b) == lcs_length(b, a)
