"""A fresh clone stands on its own: nothing here reads outside the repository, and the recorded
data and the spec the tests use are in ``tests/fixtures``."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from tests.conftest import FILES_BATCHES_SPEC_PATH, FIXTURES, RESPONSES_SPEC_PATH, SPEC_PATH
from tests.fixtures import reduce_spec

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("tests", "bench", "notebooks", "examples", "dev.py")
# A path that climbs out of the checkout, or the development machine's own folders.
OUTSIDE = re.compile(rb"\.\./shared|parents\[[2-9]\]|/work/")
SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"}


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        top = ROOT / name
        found = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        # This file names the patterns it looks for, so it is the one file not scanned.
        files += [
            p
            for p in found
            if p != Path(__file__).resolve() and SKIPPED_DIRS.isdisjoint(p.relative_to(ROOT).parts)
        ]
    return files


def test_the_outside_pattern_finds_what_it_is_for() -> None:
    for text in ('Path("../shared/spec")', "Path(__file__).parents[2]", "open('/work/x')"):
        assert OUTSIDE.search(text.encode()), text
    for text in ("Path(__file__).resolve().parents[1]", "tests/fixtures/x.sse", "work/"):
        assert not OUTSIDE.search(text.encode()), text


def test_nothing_refers_outside_the_repository() -> None:
    files = scanned_files()
    # Not vacuous: every scanned place was found, read, and holds what it should.
    relative = {p.relative_to(ROOT).as_posix() for p in files}
    for name in SCANNED:
        assert any(r == name or r.startswith(name + "/") for r in relative), f"{name} not found"
    assert {"dev.py", "tests/conftest.py", "tests/_mock.py", "tests/fixtures/README.md"} <= relative
    assert len(files) > 100
    offending = []
    for path in files:
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            if OUTSIDE.search(line):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]!r}")
    assert offending == [], "refers outside the repository:\n" + "\n".join(offending)


def test_no_test_skips_for_a_missing_package() -> None:
    """The dev extra installs what the tests import; a missing one is an error, not a skip."""
    tests = sorted((ROOT / "tests").glob("*.py"))
    assert len(tests) > 50
    word = "importor" + "skip"  # spelled in two so that this file does not match itself
    assert [p.name for p in tests if word in p.read_text(encoding="utf-8")] == []


def test_every_stream_of_the_manifest_is_recorded() -> None:
    streams = FIXTURES / "recorded-streams"
    manifest = json.loads((streams / "manifest.json").read_text(encoding="utf-8"))
    named = sorted(manifest["streams"])
    assert len(named) >= 12
    assert sorted(p.name for p in streams.glob("*.sse")) == named
    for name in named:
        body = (streams / name).read_bytes()
        assert body.startswith(b"data: {") and body.rstrip().endswith(b"data: [DONE]"), name


def test_the_recorded_responses_are_completions() -> None:
    paths = sorted((FIXTURES / "recorded-responses").glob("*.json"))
    assert len(paths) >= 14
    for path in paths:
        response = json.loads(path.read_text(encoding="utf-8"))
        assert response["object"] == "chat.completion", path.name
        assert response["model"] == "gpt-4o-2024-08-06", path.name


def test_the_spec_holds_what_the_tests_read() -> None:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    used = [
        "CreateChatCompletionRequest",
        "CreateChatCompletionResponse",
        "CreateChatCompletionStreamResponse",
        "ChatCompletionRequestMessage",
        "ChatCompletionTool",
        "FunctionObject",
        "ResponseFormatJsonSchema",
    ]
    assert set(used) <= set(schemas)
    for ref in reduce_spec.refs(spec):  # every reference resolves inside the file
        _, _, kind, name = ref.split("/", 3)
        assert name in spec["components"][kind], ref
    post = spec["paths"]["/chat/completions"]["post"]
    assert all("response" in example for example in post["x-oaiMeta"]["examples"])
    assert "example" in schemas["CreateChatCompletionResponse"]["x-oaiMeta"]
    # Reduced, not stripped of meaning: a function's `description` property is still there.
    assert "description" in schemas["FunctionObject"]["properties"]
    assert "description" not in schemas["FunctionObject"]


def test_the_spec_is_what_the_reduction_script_makes_of_it() -> None:
    """Reducing the committed file again changes nothing: it holds no prose the script drops."""
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert reduce_spec.reduce(spec) == spec


def test_every_responses_stream_of_the_manifest_is_recorded() -> None:
    streams = FIXTURES / "recorded-responses-streams"
    manifest = json.loads((streams / "manifest.json").read_text(encoding="utf-8"))
    named = sorted(manifest["streams"])
    assert len(named) >= 7
    assert sorted(p.name for p in streams.glob("*.sse")) == named
    for name in named:
        body = (streams / name).read_bytes()
        assert hashlib.sha256(body).hexdigest() == manifest["streams"][name]["sha256"], name
        assert body.startswith(b"event: response.created\ndata: {"), name
        last = body.rstrip().rsplit(b"\n\n", 1)[-1]
        assert last.startswith(b"event: response.completed\n"), name


def test_the_recorded_responses_bodies_are_responses() -> None:
    paths = sorted((FIXTURES / "recorded-responses-bodies").glob("*.json"))
    assert len(paths) >= 2
    for path in paths:
        assert json.loads(path.read_text(encoding="utf-8"))["object"] == "response", path.name


def test_the_responses_spec_holds_what_the_tests_read() -> None:
    spec = json.loads(RESPONSES_SPEC_PATH.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    assert {"CreateResponse", "Response", "ResponseStreamEvent"} <= set(schemas)
    assert not any("?" in path for path in spec["paths"])
    dangling = set()
    for ref in reduce_spec.refs(spec):
        _, _, kind, name = ref.split("/", 3)
        if name not in spec["components"].get(kind, {}):
            dangling.add(ref)
    assert dangling == {"#/components/responses/TooManyRequests"}  # see the README
    assert reduce_spec.reduce(spec, ("/responses",)) == spec


def test_the_files_batches_spec_holds_what_the_tests_read() -> None:
    spec = json.loads(FILES_BATCHES_SPEC_PATH.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    assert {"Batch", "OpenAIFile", "ListFilesResponse", "ListBatchesResponse"} <= set(schemas)
    assert {"DeleteFileResponse", "CreateBatchRequest", "CreateFileRequest"} <= set(schemas)
    assert sorted(spec["paths"]) == [
        "/batches",
        "/batches/{batch_id}",
        "/batches/{batch_id}/cancel",
        "/files",
        "/files/{file_id}",
        "/files/{file_id}/content",
    ]
    for ref in reduce_spec.refs(spec):
        _, _, kind, name = ref.split("/", 3)
        assert name in spec["components"][kind], ref
    assert reduce_spec.reduce(spec, ("/files", "/batches")) == spec
