"""What media bytes are: their kind, an image's size, a recording's length, the API's limits.

Everything here reads headers with the standard library only (no PIL, no audio packages).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

__all__ = [
    "AUDIO_FORMATS",
    "AUDIO_MAX_BYTES",
    "DETAILS",
    "FILES_MAX_TOTAL",
    "IMAGES_MAX_COUNT",
    "IMAGES_MAX_TOTAL",
    "IMAGE_MAX_BYTES",
    "IMAGE_TYPES",
    "ImageInfo",
    "audio_duration",
    "base64_size",
    "data_url",
    "image_info",
    "kind_name",
    "pdf_pages",
    "sniff",
]

MB = 1024 * 1024
# The limits the API documents, checked before anything is sent:
# - images: PNG, JPEG, WEBP and non-animated GIF, "up to 20MB per image", "up to 500 individual
#   images per request", "up to 50 MB image bytes per request" (OpenAI's "Images and vision"
#   guide, "Image input requirements").
# - files: "Chat Completions accepts only PDF files as file content parts" (the "File inputs"
#   guide); "up to 100 pages and 32MB of total content in a single request to the API, across
#   multiple file inputs" (the "PDF files" guide).
# - audio input: the ``input_audio`` part takes "wav" or "mp3" (the OpenAPI spec). The Chat
#   Completions docs give no size limit of their own for it, so the Audio API's 25 MB request
#   limit (help.openai.com, "Audio API FAQ") stands in as the bound.
IMAGE_MAX_BYTES = 20 * MB
IMAGES_MAX_COUNT = 500
IMAGES_MAX_TOTAL = 50 * MB
FILES_MAX_TOTAL = 32 * MB
AUDIO_MAX_BYTES = 25 * MB
IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
AUDIO_FORMATS = ("wav", "mp3")
DETAILS = ("auto", "low", "high")

_NAMES = {
    "png": "PNG",
    "jpeg": "JPEG",
    "gif": "GIF",
    "webp": "WebP",
    "bmp": "BMP",
    "tiff": "TIFF",
    "heic": "HEIC",
    "avif": "AVIF",
    "svg": "SVG",
    "pdf": "PDF",
    "wav": "WAV",
    "mp3": "MP3",
    "aac": "AAC",
    "flac": "FLAC",
    "ogg": "Ogg",
    "m4a": "M4A",
    "mp4": "MP4",
    "webm": "WebM",
    "avi": "AVI",
    "zip": "ZIP",
}
_DATA_URL = re.compile(r"data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[^;,]*)*)(;base64)?,")


def kind_name(kind: str | None) -> str:
    """How to name a sniffed kind to a person (``None``: data of an unknown kind)."""
    return _NAMES.get(kind, kind) if kind else "data of an unknown kind"


def sniff(data: bytes) -> str | None:
    """The kind of ``data`` from its magic numbers (``png``, ``jpeg``, ``wav``, ...), or None."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and len(head) >= 12:
        return {b"WEBP": "webp", b"WAVE": "wav", b"AVI ": "avi"}.get(head[8:12])
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer = (head[1] >> 1) & 3
        return {1: "mp3", 0: "aac"}.get(layer)  # MPEG Layer III, or ADTS (layer bits 00)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"BM"):
        return "bmp"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "heic"
        return {b"avif": "avif", b"M4A ": "m4a"}.get(brand, "mp4")
    if head.startswith(b"\x1aE\xdf\xa3"):
        return "webm"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if b"<svg" in data[:1024]:
        return "svg"
    return None


def base64_size(text: str, start: int = 0) -> int:
    """The number of bytes the base64 text from ``start`` decodes to (without decoding it)."""
    length = len(text) - start
    padding = 0
    if length and text.endswith("=="):
        padding = 2
    elif length and text.endswith("="):
        padding = 1
    return max(0, length * 3 // 4 - padding)


def data_url(url: str) -> tuple[str, bool, int] | None:
    """For a ``data:`` URL: its media type, whether it is base64, and where the data starts.

    None for any other URL. The data itself is not copied (an image's URL may be 27 MB).
    """
    if not url.startswith("data:"):
        return None
    match = _DATA_URL.match(url, 0, min(len(url), 512))
    if match is None:
        return ("", False, len(url))
    return (match[1] or "text/plain").lower(), bool(match[3]), match.end()


@dataclass(frozen=True)
class ImageInfo:
    """What an image's header says: its kind, size in pixels, and frames (for GIF)."""

    kind: str
    width: int
    height: int
    frames: int = 1


def image_info(data: bytes) -> ImageInfo | None:
    """The kind and pixel size of a PNG, JPEG, GIF or WebP image; None when unreadable."""
    kind = sniff(data)
    try:
        if kind == "png" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return ImageInfo("png", width, height)
        if kind == "jpeg":
            size = _jpeg_size(data)
            return ImageInfo("jpeg", *size) if size else None
        if kind == "gif" and len(data) >= 13:
            width, height = struct.unpack("<HH", data[6:10])
            return ImageInfo("gif", width, height, _gif_frames(data))
        if kind == "webp":
            size = _webp_size(data)
            return ImageInfo("webp", *size) if size else None
    except (struct.error, IndexError):
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG markers to the first frame header (SOFn), which holds the size."""
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # a fill byte
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # the end, or scan data, before any frame header
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def _gif_frames(data: bytes) -> int:
    """How many images a GIF holds (more than one: animated), walking its blocks."""
    flags, i, n = data[10], 13, len(data)
    if flags & 0x80:  # a global colour table
        i += 3 * (2 << (flags & 7))
    frames = 0
    while i < n:
        block = data[i]
        if block == 0x21:  # an extension: label, then sub-blocks
            i = _skip_sub_blocks(data, i + 2)
        elif block == 0x2C:  # an image: descriptor, local colour table, LZW code size, data
            frames += 1
            if i + 10 > n:
                break
            local = data[i + 9]
            i += 10 + (3 * (2 << (local & 7)) if local & 0x80 else 0)
            i = _skip_sub_blocks(data, i + 1)
        else:  # the trailer (0x3B), or something broken: stop counting
            break
    return frames


def _skip_sub_blocks(data: bytes, i: int) -> int:
    n = len(data)
    while i < n:
        size = data[i]
        i += 1 + size
        if size == 0:
            break
    return i


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk, payload = data[12:16], data[20:30]
    if chunk == b"VP8 " and payload[3:6] == b"\x9d\x01\x2a":  # lossy: a key frame's header
        width, height = struct.unpack("<HH", payload[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and payload[:1] == b"\x2f":  # lossless: 14 bits each, minus one
        bits = int.from_bytes(payload[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: the canvas size, 24 bits each, minus one
        return 1 + int.from_bytes(payload[4:7], "little"), 1 + int.from_bytes(
            payload[7:10], "little"
        )
    return None


def audio_duration(data: bytes, format: str) -> float | None:
    """Seconds of audio: exact from a WAV header; for MP3, from its frames (an estimate from
    the bitrate for whatever follows the last readable frame). None when unreadable."""
    try:
        if format == "wav":
            return _wav_duration(data)
        if format == "mp3":
            return _mp3_duration(data)
    except (struct.error, IndexError, ZeroDivisionError):
        return None
    return None


def _wav_duration(data: bytes) -> float | None:
    if not (data.startswith(b"RIFF") and data[8:12] == b"WAVE"):
        return None
    i, n, byte_rate = 12, len(data), 0
    while i + 8 <= n:
        chunk, size = data[i : i + 4], int.from_bytes(data[i + 4 : i + 8], "little")
        if chunk == b"fmt ":
            byte_rate = int.from_bytes(data[i + 16 : i + 20], "little")
        elif chunk == b"data":
            if not byte_rate:
                return None
            # A streamed WAV writes 0 or 0xFFFFFFFF here: what is there is what counts.
            available = n - (i + 8)
            size = available if size in (0, 0xFFFFFFFF) else min(size, available)
            return size / byte_rate
        i += 8 + size + (size & 1)  # chunks are padded to an even size
    return None


# MPEG audio Layer III: kbit/s by bitrate index, Hz by sample-rate index, per MPEG version.
_MP3_BITRATES = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3_header(data: bytes, i: int) -> tuple[int, int, int] | None:
    """(frame length in bytes, samples in the frame, bitrate in bit/s) of a frame at ``i``."""
    if i + 4 > len(data) or data[i] != 0xFF or data[i + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (data[i + 1] >> 3) & 3, (data[i + 1] >> 1) & 3
    bitrate_index, rate_index = data[i + 2] >> 4, (data[i + 2] >> 2) & 3
    if layer != 1 or version == 1 or rate_index == 3 or bitrate_index in (0, 15):
        return None  # not Layer III, a reserved version or rate, or a free/bad bitrate
    bitrate = _MP3_BITRATES[1 if version == 3 else 2][bitrate_index] * 1000
    rate = _MP3_RATES[version][rate_index]
    padding = (data[i + 2] >> 1) & 1
    per_frame = 1152 if version == 3 else 576
    return per_frame // 8 * bitrate // rate + padding, per_frame, bitrate


def _mp3_duration(data: bytes) -> float | None:
    i, n = 0, len(data)
    if data.startswith(b"ID3") and n >= 10:  # an ID3v2 tag: a syncsafe size, maybe a footer
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        i = 10 + size + (10 if data[5] & 0x10 else 0)
    end = n - 128 if data[n - 128 : n - 125] == b"TAG" else n  # an ID3v1 tag at the end
    # Find the first frame: a header whose next frame also starts with a header.
    limit = min(end, i + 65536)
    while i < limit:
        header = _mp3_header(data, i)
        if header is not None and (i + header[0] >= end or _mp3_header(data, i + header[0])):
            break
        i += 1
    else:
        return None
    seconds, rate = 0.0, _MP3_RATES[(data[i + 1] >> 3) & 3][(data[i + 2] >> 2) & 3]
    bitrate = 0
    while i < end:
        header = _mp3_header(data, i)
        if header is None:
            break
        length, samples, bitrate = header
        seconds += samples / rate
        i += length
    if i < end and bitrate:  # unreadable after the last frame: estimate from its bitrate
        seconds += (end - i) * 8 / bitrate
    return seconds


_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def pdf_pages(data: bytes) -> int | None:
    """A PDF's page count from its page objects; None when none can be seen (compressed object
    streams hide them), so it is a hint, not a check."""
    if not data.startswith(b"%PDF-"):
        return None
    return len(_PDF_PAGE.findall(data)) or None
