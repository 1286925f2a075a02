"""Measures what media costs in storage and exports: a ~1 MB image sent in each of ten turns.

A conversation on the embedded local model (``workbench.Conversation()``, no key) sends the same
incompressible PNG with every user message, logging to a fresh SQLite file. Then it prints the
log's size on disk beside two baselines measured in the same run: every request body as sent
(the whole history each time: what a log of requests as sent would hold) and the same rows
written by the previous schema (each message and each exchange with its media inline); the
memory of ``to_dataframe()`` (``memory_usage(deep=True)``) and its largest cell beside a table
holding the content as sent; ``usage_dataframe``; the JSONL file in each ``media=`` mode; Parquet.

Targets (issue 9): the log holds the image once (at most 1.5x its size plus 256 KB of overhead)
and the DataFrame holds no base64 (its largest cell under 1 KB).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sqlite3
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

OVERHEAD = 256 * 1024
"""Target: the log may exceed the image's size by half of it plus this (pages, indexes, text)."""
LARGEST_CELL = 1024
"""Target: no DataFrame cell's text is this long (a base64 image is a million characters)."""


def noise_png(size: int, width: int = 512) -> bytes:
    """A valid RGB PNG of about ``size`` bytes that no compressor shrinks: random pixels in
    stored (level 0) deflate blocks. Needs no imaging library."""
    row = 1 + 3 * width  # a filter byte, then the pixels
    height = max(1, (size - 100) // row)
    raw = os.urandom(row * height)
    raw = b"".join(b"\x00" + raw[i * row + 1 : (i + 1) * row] for i in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 0))
        + chunk(b"IEND", b"")
    )


def on_disk(path: Path) -> int:
    """Bytes of a file, or of every file in a folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def sqlite_files(path: Path) -> int:
    return sum(on_disk(Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-shm"))


def previous_schema_size(log: Path, chat_id: str, folder: Path) -> int:
    """The rows of ``log`` written as the previous schema wrote them: every message and every
    exchange as JSON text with its media inline (restored, then stored without a media table)."""
    from workbench.conversation._log import ConversationLog

    old = folder / "previous-schema.sqlite3"
    with ConversationLog(log) as db:
        loaded, exchanges = db.load(chat_id), db.exchanges(chat_id)
    with sqlite3.connect(old) as conn:
        conn.execute("CREATE TABLE messages (id TEXT, data TEXT)")
        conn.execute("CREATE TABLE exchanges (id INTEGER, request TEXT, response TEXT)")
        conn.executemany(
            "INSERT INTO messages VALUES (?, ?)",
            [(m.id, json.dumps(m.model_dump(mode="json"))) for m in loaded.messages],
        )
        conn.executemany(
            "INSERT INTO exchanges VALUES (?, ?, ?)",
            [(e["id"], json.dumps(e["request"]), json.dumps(e["response"])) for e in exchanges],
        )
    return sqlite_files(old)


def largest_cell(frame: Any) -> int:
    """The length of the longest cell of ``frame`` as text."""
    return max((len(str(v)) for column in frame.columns for v in frame[column]), default=0)


def has_base64(frame: Any, image: bytes) -> bool:
    probe = base64.b64encode(image[100:400]).decode()[8:200]
    return any(probe in str(v) for column in frame.columns for v in frame[column])


def run(size: int, turns: int, folder: Path) -> dict[str, Any]:
    """Send the image ``turns`` times and measure; the numbers as a dict."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(name, None)  # the embedded local model, never a real server
    import pandas as pd

    import workbench

    image = noise_png(size)
    log = folder / "log.sqlite3"
    chat = workbench.Conversation(log=log)
    sent = 0
    started = time.perf_counter()
    for turn in range(turns):
        chat.send([f"Turn {turn + 1}: what is in this picture?", workbench.image(image)])
        body = {"model": chat.params.model, "messages": chat.to_messages()[:-1]}
        sent += len(json.dumps(body).encode())
    send_s = time.perf_counter() - started
    chat._log.close()  # type: ignore[union-attr]  # checkpoint the WAL: the size on disk
    out: dict[str, Any] = {"image": len(image), "turns": turns, "send_s": send_s}
    out["log"], out["requests"] = sqlite_files(log), sent
    out["previous"] = previous_schema_size(log, chat.id, folder)
    started = time.perf_counter()
    again = workbench.Conversation.load(chat.id, log=log)
    out["load_s"] = time.perf_counter() - started
    out["load_exact"] = again.to_messages() == chat.to_messages()
    started = time.perf_counter()
    frame = chat.to_dataframe()
    out["frame_s"] = time.perf_counter() - started
    out["frame"], out["frame_cell"] = int(frame.memory_usage(deep=True).sum()), largest_cell(frame)
    out["frame_base64"] = has_base64(frame, image)
    logged = workbench.to_dataframe(log=log)
    out["log_frame"] = int(logged.memory_usage(deep=True).sum())
    out["log_frame_cell"] = largest_cell(logged)
    naive = pd.DataFrame({"content": [json.dumps(m.content) for m in chat.messages]})
    out["naive_frame"] = int(naive.memory_usage(deep=True).sum())
    out["naive_cell"] = largest_cell(naive)
    usage = chat.usage_dataframe()
    out["usage"], out["usage_cell"] = int(usage.memory_usage(deep=True).sum()), largest_cell(usage)
    for mode in ("embed", "reference", "drop"):
        path = folder / f"{mode}.jsonl"
        chat.to_jsonl(path, media=mode)  # type: ignore[arg-type]
        out[f"jsonl_{mode}"] = on_disk(path)
        out[f"jsonl_{mode}_media"] = on_disk(folder / f"{mode}.media")
    back = workbench.Conversation.from_jsonl(folder / "reference.jsonl", log=False)[0]
    out["jsonl_exact"] = back.to_messages() == chat.to_messages()
    try:
        chat.to_parquet(folder / "chat.parquet")
        out["parquet"] = on_disk(folder / "chat.parquet")
        restored = workbench.Conversation.from_parquet(folder / "chat.parquet", log=False)
        out["parquet_exact"] = restored.to_messages() == chat.to_messages()
    except ImportError:
        out["parquet"], out["parquet_exact"] = None, None
    return out


def _mb(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e3:.1f} KB" if n < 100_000 else f"{n / 1e6:.2f} MB"


def report(r: dict[str, Any]) -> bool:
    """Print the table and the verdict; whether the targets are met."""
    n = r["turns"]
    print(f"a {_mb(r['image'])} incompressible PNG sent in each of {n} turns")
    print(f"(local model; {r['send_s']:.2f} s for the turns, logging included)")
    print()
    print(f"{'what':<44}{'workbench':>12}{'baseline':>12}{'ratio':>8}  baseline is")
    rows = [
        ("SQLite log on disk", r["log"], r["requests"], "the request bodies as sent"),
        ("SQLite log on disk", r["log"], r["previous"], "the previous schema's rows"),
        ("to_dataframe() memory (deep)", r["frame"], r["naive_frame"], "content as sent"),
        ("to_dataframe() largest cell (chars)", r["frame_cell"], r["naive_cell"], "the same"),
        ("to_dataframe(log=) memory (deep)", r["log_frame"], r["naive_frame"], "content as sent"),
        ("to_dataframe(log=) largest cell", r["log_frame_cell"], r["naive_cell"], "the same"),
        ("usage_dataframe() memory (deep)", r["usage"], None, ""),
        ("usage_dataframe() largest cell", r["usage_cell"], None, ""),
        ("JSONL media='embed'", r["jsonl_embed"], None, ""),
        ("JSONL media='reference' (line)", r["jsonl_reference"], r["jsonl_embed"], "embed"),
        ("JSONL media='reference' (.media/)", r["jsonl_reference_media"], None, ""),
        ("JSONL media='drop'", r["jsonl_drop"], r["jsonl_embed"], "embed"),
        ("Parquet (media once in the file)", r["parquet"], r["jsonl_embed"], "JSONL embed"),
    ]
    for label, value, base, what in rows:
        size = _mb(value) if "memory" in label or "on disk" in label or "JSONL" in label else None
        size = size or (_mb(value) if "Parquet" in label else f"{value:,}")
        shown_base = "-" if base is None else (_mb(base) if "cell" not in label else f"{base:,}")
        ratio = "-" if not base or value is None else f"{value / base:.3f}"
        print(f"{label:<44}{size:>12}{shown_base:>12}{ratio:>8}  {what}")
    print()
    print(f"Conversation.load from the log: {r['load_s'] * 1000:.0f} ms, exact: {r['load_exact']}")
    print(f"from_jsonl(media='reference') exact: {r['jsonl_exact']}")
    print(f"from_parquet exact: {r['parquet_exact']}; to_dataframe: {r['frame_s'] * 1000:.0f} ms")
    print()
    limit = int(1.5 * r["image"]) + OVERHEAD
    checks = [
        (f"log <= 1.5 x image + 256 KB ({_mb(limit)})", r["log"] <= limit),
        (f"largest DataFrame cell < {LARGEST_CELL} chars", r["frame_cell"] < LARGEST_CELL),
        ("no base64 in the DataFrame", not r["frame_base64"]),
        ("log and files read back exactly", r["load_exact"] and r["jsonl_exact"]),
    ]
    for label, ok in checks:
        print(f"{label:<56}{'PASS' if ok else 'FAIL'}")
    ok = all(passed for _, passed in checks)
    print()
    print(f"verdict: {'PASS' if ok else 'FAIL'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the scenario and print the report; with ``--check``, exit 1 when a target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000, help="the image's bytes")
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 KB, 3 turns")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    size, turns = (20_000, 3) if args.quick else (args.size, args.turns)
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        result = run(size, turns, Path(tmp))
    ok = report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
