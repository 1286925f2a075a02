"""A ``multipart/form-data`` body (a file upload) read into its fields and files.

Parsing is left to ``python-multipart`` (the parser Starlette and FastAPI use): a form's
boundaries, quoted parameters and odd line endings are easy to get subtly wrong by hand, and the
local model has to read whatever an HTTP client sends (``openai``'s, httpx's, curl's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = ["Form", "FormError", "Upload", "parse_form"]


class FormError(ValueError):
    """The body is not a ``multipart/form-data`` form this reader understands."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the client gave it and its bytes."""

    filename: str
    content: bytes


@dataclass
class Form:
    """A form's text fields and files, by field name (the last one wins on a repeated name)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)


class _Part:
    def __init__(self) -> None:
        self.headers: dict[str, bytes] = {}
        self.data = bytearray()
        self._field = bytearray()
        self._value = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def header_end(self) -> None:
        self.headers[self._field.decode("latin-1").lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()


def parse_form(content_type: str, body: bytes) -> Form:
    """Read a ``multipart/form-data`` body.

    Raises:
        FormError: another content type, no boundary, or a body that does not parse.
    """
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise FormError(f"expected multipart/form-data with a boundary, not {content_type!r}")
    parts: list[_Part] = []

    def begin() -> None:
        parts.append(_Part())

    def data(chunk: bytes, start: int, end: int) -> None:
        parts[-1].data += chunk[start:end]

    callbacks = {
        "on_part_begin": begin,
        "on_part_data": data,
        "on_header_field": lambda d, s, e: parts[-1].header_field(d, s, e),
        "on_header_value": lambda d, s, e: parts[-1].header_value(d, s, e),
        "on_header_end": lambda: parts[-1].header_end(),
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        parser.write(body)
        parser.finalize()
    except Exception as exc:  # the library's errors name the byte at fault
        raise FormError(f"the form does not parse: {exc}") from None
    form = Form()
    for part in parts:
        disposition, params = parse_options_header(part.headers.get("content-disposition"))
        name = params.get(b"name")
        if disposition != b"form-data" or name is None:
            continue
        key = name.decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is not None:
            form.files[key] = Upload(filename.decode("utf-8", "replace"), bytes(part.data))
        else:
            form.fields[key] = part.data.decode("utf-8", "replace")
    return form
