"""``workbench.image``, ``audio`` and ``file``: content parts from paths, bytes, URLs and PIL
images, with formats and the API's size limits checked before anything is sent."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import workbench
from tests._media import (
    animated_gif,
    local_over_http,
    mp3_frames,
    mp3_seconds,
    never_sent,
    pdf,
    picture,
    wav,
)
from tests._mock import assert_valid_request
from workbench.media import (
    AUDIO_MAX_BYTES,
    IMAGE_MAX_BYTES,
    audio_duration,
    base64_size,
    image_info,
    pdf_pages,
    sniff,
)

MB = 1024 * 1024


def decoded(url: str) -> tuple[str, bytes]:
    head, _, data = url.partition(",")
    return head, base64.b64decode(data)


# -- image -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "media"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_an_image_from_bytes_or_a_path_becomes_a_data_url_of_its_sniffed_type(
    kind: str, media: str, tmp_path: Path
) -> None:
    data = picture(kind)
    path = tmp_path / "no-extension"  # the type comes from the bytes, not the name
    path.write_bytes(data)
    for source in (data, path, str(path), bytearray(data), memoryview(data)):
        part = workbench.image(source)
        assert part["type"] == "image_url" and set(part["image_url"]) == {"url"}
        head, raw = decoded(part["image_url"]["url"])
        assert head == f"data:{media};base64" and raw == data


def test_an_http_url_is_kept_as_it_is_and_detail_is_sent_only_when_given() -> None:
    url = "https://example.com/cat.png?size=large"
    assert workbench.image(url) == {"type": "image_url", "image_url": {"url": url}}
    part = workbench.image(url, detail="low")
    assert part["image_url"] == {"url": url, "detail": "low"}
    with pytest.raises(workbench.InvalidParameterError) as info:
        workbench.image(url, detail="medium")  # type: ignore[arg-type]
    assert info.value.param == "detail" and "'auto', 'low', 'high'" in str(info.value)


def test_a_pil_image_is_saved_as_png_or_kept_as_jpeg() -> None:
    from PIL import Image

    drawn = Image.new("RGBA", (20, 10), (0, 128, 255, 100))
    head, raw = decoded(workbench.image(drawn)["image_url"]["url"])
    info = image_info(raw)
    assert head == "data:image/png;base64"
    assert info is not None and (info.width, info.height) == (20, 10)
    photo = Image.open(io.BytesIO(picture("JPEG", (33, 17))))
    head, raw = decoded(workbench.image(photo)["image_url"]["url"])
    assert head == "data:image/jpeg;base64" and sniff(raw) == "jpeg"


def test_the_helpers_import_neither_pil_nor_pydantic(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(picture())
    (tmp_path / "a.wav").write_bytes(wav(0.1))
    (tmp_path / "a.pdf").write_bytes(pdf())
    code = (
        "import sys, workbench; d = sys.argv[1];"
        " workbench.image(d + '/a.png'); workbench.audio(d + '/a.wav');"
        " workbench.file(d + '/a.pdf');"
        " print([m for m in ('PIL', 'pydantic', 'pandas') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (picture("BMP"), "BMP"),
        (picture("TIFF"), "TIFF"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (pdf(), "PDF"),
        (b"plain words, not an image", "unknown kind"),
    ],
)
def test_an_unsupported_image_format_is_refused_naming_the_allowed_ones(
    data: bytes, named: str
) -> None:
    with pytest.raises(workbench.InvalidParameterError) as info:
        workbench.image(data)
    message = str(info.value)
    assert info.value.param == "image" and named in message
    assert "PNG, JPEG, WebP or non-animated GIF" in message


def test_an_animated_gif_is_refused_and_a_still_one_is_not() -> None:
    with pytest.raises(workbench.InvalidParameterError, match=r"animated GIF \(3 frames\)"):
        workbench.image(animated_gif(3))
    assert workbench.image(animated_gif(1))["image_url"]["url"].startswith("data:image/gif;")


def test_a_data_url_is_checked_for_its_type_and_encoding() -> None:
    good = "data:image/webp;base64," + base64.b64encode(picture("WEBP")).decode()
    assert workbench.image(good)["image_url"]["url"] == good
    for bad, said in (
        ("data:image/bmp;base64,Qk0=", "'image/bmp'"),
        ("data:image/png,rawbytes", "not base64"),
        ("data:;base64,AAAA", "'text/plain'"),
    ):
        with pytest.raises(workbench.InvalidParameterError, match=said):
            workbench.image(bad)


def test_an_image_over_20_mb_is_refused_before_it_is_read_or_sent(tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    with big.open("wb") as out:  # sparse: 21 MB on paper
        out.write(picture())
        out.seek(21 * MB)
        out.write(b"\0")
    with pytest.raises(workbench.InvalidParameterError) as info:
        workbench.image(big)
    assert info.value.param == "image" and "up to 20 MB per image" in str(info.value)
    just_over = picture() + bytes(IMAGE_MAX_BYTES)
    with pytest.raises(workbench.InvalidParameterError, match="over the API's limit"):
        workbench.image(just_over)
    at_limit = picture()
    at_limit += bytes(IMAGE_MAX_BYTES - len(at_limit))
    assert workbench.image(at_limit)["image_url"]["url"].startswith("data:image/png")


def test_an_image_source_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="a URL or a PIL image"):
        workbench.image(12)
    with pytest.raises(FileNotFoundError):
        workbench.image("no/such/cat.png")


# -- audio -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [(wav(0.5), "wav"), (mp3_frames(20), "mp3"), (mp3_frames(20, id3=True), "mp3")],
)
def test_audio_is_base64_with_its_sniffed_format(
    data: bytes, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "recording"
    path.write_bytes(data)
    for source in (data, path):
        part = workbench.audio(source)
        assert part["type"] == "input_audio"
        assert part["input_audio"]["format"] == expected
        assert base64.b64decode(part["input_audio"]["data"]) == data
    assert workbench.audio(data, format=expected)["input_audio"]["format"] == expected  # type: ignore[arg-type]


def test_audio_format_errors_name_the_allowed_formats() -> None:
    with pytest.raises(workbench.InvalidParameterError) as info:
        workbench.audio(wav(0.1), format="flac")  # type: ignore[arg-type]
    assert info.value.param == "format" and "'wav', 'mp3'" in str(info.value)
    with pytest.raises(workbench.InvalidParameterError, match="'mp3', but the data is WAV"):
        workbench.audio(wav(0.1), format="mp3")  # type: ignore[arg-type]
    for data, named in ((b"fLaC\0\0\0\x22", "FLAC"), (b"OggS\0\2", "Ogg"), (picture(), "PNG")):
        with pytest.raises(workbench.InvalidParameterError, match=named) as info:
            workbench.audio(data, format="wav")  # type: ignore[arg-type]
        assert info.value.param == "audio" and "WAV or MP3" in str(info.value)
    with pytest.raises(workbench.InvalidParameterError, match="unknown kind"):
        workbench.audio(b"\x01\x02\x03\x04")
    headerless = workbench.audio(b"\x01\x02\x03\x04", format="mp3")  # type: ignore[arg-type]
    assert headerless["input_audio"]["format"] == "mp3", "the caller's word for unknown bytes"


def test_audio_over_25_mb_is_refused() -> None:
    with pytest.raises(workbench.InvalidParameterError) as info:
        workbench.audio(wav(0.01) + bytes(AUDIO_MAX_BYTES))
    assert info.value.param == "audio" and "up to 25 MB" in str(info.value)


# -- file --------------------------------------------------------------------------------------


def test_a_pdf_becomes_file_data_with_its_name_and_an_id_becomes_file_id(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf(3))
    part = workbench.file(path)
    assert part["type"] == "file" and part["file"]["filename"] == "report.pdf"
    head, raw = decoded(part["file"]["file_data"])
    assert head == "data:application/pdf;base64" and raw == pdf(3)
    assert workbench.file(pdf(), filename="q3.pdf")["file"]["filename"] == "q3.pdf"
    assert workbench.file(pdf())["file"]["filename"] == "document.pdf"
    assert workbench.file("file-AbC123_x") == {"type": "file", "file": {"file_id": "file-AbC123_x"}}


def test_a_file_other_than_a_pdf_or_over_32_mb_is_refused(tmp_path: Path) -> None:
    for data, named in ((picture(), "PNG"), (b"just text", "unknown kind"), (wav(0.1), "WAV")):
        with pytest.raises(workbench.InvalidParameterError, match=named) as info:
            workbench.file(data)
        assert info.value.param == "file" and "only PDF" in str(info.value)
    big = tmp_path / "big.pdf"
    with big.open("wb") as out:
        out.write(pdf())
        out.seek(33 * MB)
        out.write(b"\0")
    with pytest.raises(workbench.InvalidParameterError, match="32 MB of files per request"):
        workbench.file(big)


# -- reading the bytes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (picture("PNG", (1, 1)), (1, 1)),
        (picture("JPEG", (640, 480)), (640, 480)),
        (picture("JPEG", (123, 45), progressive=True, optimize=True), (123, 45)),
        (picture("GIF", (300, 2)), (300, 2)),
        (picture("WEBP", (5000, 3)), (5000, 3)),  # lossy: VP8
        (picture("WEBP", (77, 66), lossless=True), (77, 66)),  # VP8L
        (picture("WEBP", (30, 70), icc_profile=b"x" * 100), (30, 70)),  # extended: VP8X
    ],
)
def test_image_sizes_are_read_from_the_headers(data: bytes, size: tuple[int, int]) -> None:
    info = image_info(data)
    assert info is not None and (info.width, info.height) == size and info.frames == 1


@pytest.mark.parametrize(
    "data",
    [
        picture()[:20],  # cut inside the PNG header
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff\xd9",  # a JPEG that ends before any frame header
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"GIF89a",
        b"RIFF\0\0\0\0WEBP",
        b"not an image at all",
    ],
)
def test_broken_images_are_unreadable_not_errors(data: bytes) -> None:
    assert image_info(data) is None


def test_gif_frames_are_counted() -> None:
    info = image_info(animated_gif(5))
    assert info is not None and info.frames == 5 and (info.width, info.height) == (16, 16)


def test_audio_durations_from_wav_headers_and_mp3_frames() -> None:
    assert audio_duration(wav(1.5), "wav") == 1.5
    assert audio_duration(wav(0.25, rate=44_100, channels=2), "wav") == 0.25
    streamed = bytearray(wav(2.0))
    streamed[40:44] = b"\xff\xff\xff\xff"  # the data size a streaming writer leaves
    assert audio_duration(bytes(streamed), "wav") == 2.0
    assert audio_duration(mp3_frames(100), "mp3") == pytest.approx(mp3_seconds(100))
    assert audio_duration(mp3_frames(40, mpeg2=True, id3=True), "mp3") == pytest.approx(
        mp3_seconds(40, mpeg2=True)
    )
    # Garbage after the frames is estimated from the last frame's bitrate (128 kbit/s here).
    tail = audio_duration(mp3_frames(10) + b"\x00" * 16_000, "mp3")
    assert tail == pytest.approx(mp3_seconds(10) + 16_000 * 8 / 128_000)
    assert audio_duration(b"RIFF1234WAVE", "wav") is None
    assert audio_duration(b"nothing", "mp3") is None
    assert audio_duration(wav(1.0), "flac") is None


def test_pdf_pages_and_base64_sizes() -> None:
    assert pdf_pages(pdf(7)) == 7 and pdf_pages(b"%PDF-1.7 compressed") is None
    assert pdf_pages(picture()) is None
    for n in range(10):
        text = base64.b64encode(bytes(n)).decode()
        assert base64_size(text) == n
        assert base64_size("data:x/y;base64," + text, len("data:x/y;base64,")) == n


# -- sending -----------------------------------------------------------------------------------


def test_chat_send_takes_strings_and_parts_and_a_single_part() -> None:
    client, _ = local_over_http()
    chat = workbench.Conversation(client=client, log=False)
    chat.send(["What is in this picture?", workbench.image(picture())])
    sent = chat[0].content
    assert isinstance(sent, list)
    assert sent[0] == {"type": "text", "text": "What is in this picture?"}
    assert sent[1]["type"] == "image_url"
    chat.send(workbench.image("https://example.com/cat.png"))
    assert chat[2].content == [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    ]
    assert_valid_request({"model": "m", "messages": chat.to_messages()})


@pytest.mark.parametrize(
    ("content", "param", "said"),
    [
        (["hi", 3], "content[1]", "not int"),
        (b"bytes", "content", "not bytes"),
        (["hi", {"type": "video", "video": {}}], "content[1].type", "'video'"),
        (["hi", {"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AA=="}}],
         "content[1].image_url.url", "'image/tiff'"),
        ([{"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "max"}}],
         "content[0].image_url.detail", "'max'"),
        ([{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "ogg"}}],
         "content[0].input_audio.format", "'ogg'"),
        ([{"type": "input_audio", "input_audio": {"format": "wav"}}],
         "content[0].input_audio.data", "base64"),
        ([{"type": "file", "file": {"filename": "a.pdf"}}], "content[0].file", "file_data"),
        ([{"type": "text", "text": 5}], "content[0].text", "must be a string"),
    ],
)  # fmt: skip
def test_a_bad_part_fails_before_anything_is_sent_or_kept(
    content: Any, param: str, said: str
) -> None:
    chat = workbench.Conversation(client=never_sent(), log=False, model="gpt-4o")
    with pytest.raises(workbench.InvalidParameterError) as info:
        chat.send(content)
    assert info.value.param == param and said in str(info.value)
    assert len(chat) == 0 and len(chat.history) == 0, "nothing was added to the history"


def test_request_limits_on_images_and_files_fail_before_sending() -> None:
    client = never_sent()
    huge = "data:image/png;base64," + "A" * (IMAGE_MAX_BYTES // 3 * 4 + 8)
    nearly = "data:image/png;base64," + "A" * (18 * MB // 3 * 4)
    pdf_url = "data:application/pdf;base64," + "A" * (17 * MB // 3 * 4)
    cases: list[tuple[list[dict[str, Any]], str, str]] = [
        ([{"type": "image_url", "image_url": {"url": huge}}], "url", "20 MB per image"),
        ([{"type": "image_url", "image_url": {"url": nearly}}] * 3, "messages", "50 MB"),
        ([{"type": "image_url", "image_url": {"url": "https://x/a.png"}}] * 501, "messages", "500"),
        ([{"type": "file", "file": {"file_data": pdf_url, "filename": "a.pdf"}}] * 2,
         "messages", "32 MB"),
        ([{"type": "input_audio", "input_audio": {"data": "A" * (26 * MB // 3 * 4),
                                                  "format": "wav"}}], "data", "25 MB"),
    ]  # fmt: skip
    for parts, param, said in cases:
        with pytest.raises(workbench.InvalidParameterError) as info:
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": parts}]
            )
        assert info.value.param.endswith(param) and said in str(info.value)
    ok = [{"type": "image_url", "image_url": {"url": nearly}}] * 2
    chat = workbench.Conversation(client=never_sent(), log=False, model="gpt-4o")
    with pytest.raises(workbench.InvalidParameterError, match="50 MB"):
        chat.send([*ok, *ok])  # the request limit counts within one message too
    assert len(chat.history) == 0


def test_an_assistant_audio_reference_must_be_an_id() -> None:
    client = never_sent()
    for audio in ({"data": "AAAA"}, "audio_1", {"id": 5}):
        messages = [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": None, "audio": audio},
            {"role": "user", "content": "again"},
        ]
        with pytest.raises(workbench.InvalidParameterError) as info:
            client.chat.completions.create(model="gpt-4o-audio-preview", messages=messages)
        assert info.value.param == "messages[1].audio" and "'audio_...'" in str(info.value)


def test_message_text_of_a_spoken_reply_is_its_transcript() -> None:
    spoken = workbench.Message(
        role="assistant",
        content=None,
        audio={"id": "audio_1", "data": "AAAA", "expires_at": 1, "transcript": "Hello there."},
    )
    assert spoken.text == "Hello there."
    assert spoken.to_param() == {"role": "assistant", "content": None, "audio": {"id": "audio_1"}}
    both = spoken.model_copy(update={"content": "Written."})
    assert both.text == "Written."
