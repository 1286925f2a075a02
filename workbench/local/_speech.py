"""The local model's voice: a deterministic tone sequence for a transcript, as WAV or raw PCM.

One tone per word (up to ``MAX_WORDS``), its pitch picked from a pentatonic scale by the word's
hash, so the same transcript always gives the same bytes. Mono, 16-bit, 24 kHz: what the API's
``pcm16`` output is. Formats that need an encoder (mp3, opus, aac, flac) are refused with a 400,
as a real server refuses what it cannot produce, rather than sent as invalid bytes.
"""

from __future__ import annotations

import functools
import io
import math
import re
import sys
import wave
from array import array

from .._exceptions import InvalidParameterError
from ._phrasing import stable_hash

__all__ = ["FORMATS", "MAX_WORDS", "SAMPLE_RATE", "check_format", "seconds", "speak"]

FORMATS = ("wav", "pcm16")
"""The output formats the local model can encode without an encoder package."""
SAMPLE_RATE = 24_000
MAX_WORDS = 32
_TONE = 0.09  # seconds of tone per word
_GAP = 0.03  # seconds of silence after it
_FADE = 0.005  # seconds of fade in and out, so that tones do not click
_STEPS = (0, 2, 4, 7, 9, 12, 14, 16, 19, 21)  # two octaves of a pentatonic scale, in semitones
_WORD = re.compile(r"[A-Za-z0-9']+")


def check_format(audio_format: object) -> None:
    """Refuse, as a 400, an audio output format the local model cannot encode."""
    if audio_format not in FORMATS:
        raise InvalidParameterError(
            "audio.format",
            f"the local model cannot encode {audio_format!r} audio (it has no encoder for it)",
            allowed=FORMATS,
        )


def _words(transcript: str) -> list[str]:
    return _WORD.findall(transcript)[:MAX_WORDS] or [""]


def seconds(transcript: str) -> float:
    """How long the clip for ``transcript`` lasts."""
    return len(_words(transcript)) * (_TONE + _GAP)


@functools.cache
def _tone(step: int) -> array[int]:
    """One word's tone and the silence after it, as 16-bit samples."""
    frequency = 220.0 * 2 ** (step / 12)
    count, fade = round(_TONE * SAMPLE_RATE), round(_FADE * SAMPLE_RATE)
    samples = array(
        "h",
        (
            round(
                9000
                * min(1.0, i / fade, (count - 1 - i) / fade)
                * math.sin(2 * math.pi * frequency * i / SAMPLE_RATE)
            )
            for i in range(count)
        ),
    )
    samples.extend(array("h", bytes(2 * round(_GAP * SAMPLE_RATE))))
    return samples


def _samples(transcript: str) -> array[int]:
    samples = array("h")
    for word in _words(transcript):
        samples.extend(_tone(_STEPS[stable_hash("tone", word.lower()) % len(_STEPS)]))
    return samples


def speak(transcript: str, audio_format: str) -> bytes:
    """The clip for ``transcript`` in ``audio_format`` (one of ``FORMATS``): a WAV file, or raw
    PCM (mono, 16-bit little-endian, 24 kHz) for ``pcm16``."""
    check_format(audio_format)
    samples = _samples(transcript)
    if audio_format == "pcm16":
        if sys.byteorder == "big":  # pragma: no cover - the format is little-endian
            samples.byteswap()
        return samples.tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:  # it takes samples in the machine's byte order
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()
