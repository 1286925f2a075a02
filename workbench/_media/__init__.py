"""Media in chat turns: content parts built from files, bytes and images, and what the bytes are."""

from __future__ import annotations

from ._inspect import (
    AUDIO_FORMATS,
    AUDIO_MAX_BYTES,
    DETAILS,
    FILES_MAX_TOTAL,
    IMAGE_MAX_BYTES,
    IMAGE_TYPES,
    IMAGES_MAX_COUNT,
    IMAGES_MAX_TOTAL,
    ImageInfo,
    audio_duration,
    base64_size,
    data_url,
    image_info,
    kind_name,
    pdf_pages,
    sniff,
)
from ._parts import audio, check_image_url, check_size, file, image, user_content

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
    "audio",
    "audio_duration",
    "base64_size",
    "check_image_url",
    "check_size",
    "data_url",
    "file",
    "image",
    "image_info",
    "kind_name",
    "pdf_pages",
    "sniff",
    "user_content",
]
