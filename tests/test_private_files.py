"""Private files stay private: what workbench creates for the user (the log, its WAL and SHM
files and folder, cassettes, exports and their media) is 0600 (files) and 0700 (folders) under
a permissive umask; folders the user had keep their mode; a log others could read loses that."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import workbench
from bench.bench_media import noise_png
from tests._grid import local_client
from tests._media import wav
from workbench import Conversation, Grid
from workbench._private import make_private, open_private, private_folder, replace_privately
from workbench.conversation._log import ConversationLog

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes; Windows has only read-only")

USER = [{"role": "user", "content": "Tell me about Edinburgh"}]


@pytest.fixture(params=[0o022, 0o000], ids=["umask-022", "umask-000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """A permissive umask, under which files are made 0644 or 0666 unless made private."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A folder of the user's own (pytest makes ``tmp_path`` 0700; a home is often 0755)."""
    tmp_path.chmod(0o755)
    return tmp_path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the log ---------------------------------------------------------------------------------


def test_the_log_its_wal_shm_and_the_folders_made_for_it_are_private(
    umask: int, home: Path
) -> None:
    path = home / "data" / "workbench" / "log.sqlite3"
    with ConversationLog(path) as log:
        log.save_conversation("c1", model="m", system="A secret system prompt")
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.stat().st_size and shm.stat().st_size, "real writes went through the WAL"
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    assert (mode(home / "data"), mode(home / "data" / "workbench")) == (0o700, 0o700)
    assert mode(home) == 0o755, "a folder the user had is left as it was"
    assert not Path(f"{path}-journal").exists()


def test_a_conversation_logs_to_a_private_default_log(
    umask: int, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = home / "log.sqlite3"
    monkeypatch.setenv("WORKBENCH_LOG", str(path))
    Conversation().send("Hello")
    assert [mode(path), mode(Path(f"{path}-wal")), mode(Path(f"{path}-shm"))] == [0o600] * 3
    assert mode(home) == 0o755


@pytest.mark.parametrize("loose", [0o644, 0o666, 0o640, 0o604], ids=oct)
def test_a_log_others_could_read_is_made_private_when_opened(
    umask: int, home: Path, loose: int
) -> None:
    path = home / "log.sqlite3"
    with ConversationLog(path) as log:
        log.save_conversation("c1", title="Written before workbench made logs private")
    path.chmod(loose)
    stale_wal = Path(f"{path}-wal")
    stale_wal.touch()
    stale_wal.chmod(loose)
    with ConversationLog(path) as log:
        assert [c.title for c in log.conversations()] == [
            "Written before workbench made logs private"
        ]
        assert (mode(path), mode(stale_wal), mode(Path(f"{path}-shm"))) == (0o600,) * 3
    assert mode(home) == 0o755


def test_a_loose_log_of_another_user_is_used_with_a_warning(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = home / "shared.sqlite3"
    with ConversationLog(path) as log:
        log.save_conversation("c1", title="Shared on purpose")
    path.chmod(0o664)

    def not_yours(file: object) -> None:
        raise PermissionError(1, "Operation not permitted", str(file))

    monkeypatch.setattr("workbench.conversation._log.make_private", not_yours)
    with (
        pytest.warns(UserWarning, match="belongs to another user: workbench cannot make it"),
        ConversationLog(path) as log,
    ):
        assert [c.title for c in log.conversations()] == ["Shared on purpose"]
    assert mode(path) == 0o664


# -- cassettes -------------------------------------------------------------------------------


def test_a_recorded_cassette_is_private_and_an_existing_one_keeps_its_mode(
    umask: int, home: Path
) -> None:
    cassette = home / "run.jsonl"
    with workbench.Client(local=True, record=cassette) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    assert len(cassette.read_text().splitlines()) == 2
    assert mode(cassette) == 0o600

    cassette.chmod(0o644)  # say, checked out from the project's repository
    with workbench.Client(local=True, record=cassette) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, temperature=0)  # type: ignore[arg-type]
    assert len(cassette.read_text().splitlines()) == 3
    assert mode(cassette) == 0o644


# -- exports ---------------------------------------------------------------------------------


def media_chat() -> Conversation:
    chat = Conversation(log=False)
    chat.send(["Describe these", workbench.image(noise_png(2_000)), workbench.audio(wav(0.05))])
    return chat


def test_a_jsonl_export_its_media_folder_and_media_files_are_private(
    umask: int, home: Path
) -> None:
    path = home / "train.jsonl"
    media_chat().to_jsonl(path)
    folder = home / "train.media"
    files = sorted(folder.iterdir())
    assert sorted(f.suffix for f in files) == [".png", ".wav"]
    assert {f: mode(f) for f in files} == dict.fromkeys(files, 0o600)
    assert (mode(path), mode(folder), mode(home)) == (0o600, 0o700, 0o755)


def test_a_media_folder_the_user_had_keeps_its_mode(umask: int, home: Path) -> None:
    folder = home / "train.media"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    media_chat().to_jsonl(home / "train.jsonl")
    assert mode(folder) == 0o755
    assert [mode(f) for f in folder.iterdir()] == [0o600, 0o600]


def test_a_parquet_export_and_its_media_are_private(umask: int, home: Path) -> None:
    chat = media_chat()
    chat.to_parquet(home / "embedded.parquet")
    chat.to_parquet(home / "refs.parquet", media="reference")
    assert (mode(home / "embedded.parquet"), mode(home / "refs.parquet")) == (0o600, 0o600)
    assert mode(home / "refs.media") == 0o700
    assert [mode(f) for f in (home / "refs.media").iterdir()] == [0o600, 0o600]
    assert Conversation.from_parquet(home / "refs.parquet").to_messages() == chat.to_messages()


def test_jsonl_appended_to_keeps_its_mode_and_replaced_whole_is_private(
    umask: int, home: Path
) -> None:
    path = home / "shared.jsonl"
    path.write_text("")
    path.chmod(0o644)
    chat = Conversation(log=False)
    chat.send("Hello")
    chat.to_jsonl(path, append=True)
    assert mode(path) == 0o644, "the user's own file, appended to"
    chat.to_jsonl(path)
    assert mode(path) == 0o600, "a new file replaces it"
    assert not [p for p in home.iterdir() if p.name.startswith(".shared.jsonl.")]


def test_batch_files_and_the_folders_made_for_them_are_private(umask: int, home: Path) -> None:
    grid = Grid(
        ["Weather in {city}?"],
        vars=[{"city": "Oslo"}],
        models=["model-a", "model-b"],
        client=local_client()[0],
    )
    files = grid.to_batch_jsonl(home / "batches" / "june" / "{model}.jsonl")
    assert len(files) == 2 and all(f.read_text() for f in files)
    assert [mode(f) for f in files] == [0o600, 0o600]
    assert (mode(home / "batches"), mode(home / "batches" / "june"), mode(home)) == (
        0o700,
        0o700,
        0o755,
    )


# -- the helpers, exactly, whatever the umask --------------------------------------------------


@pytest.mark.parametrize("narrow", [0o022, 0o000, 0o077, 0o277], ids=oct)
def test_the_helpers_give_exact_modes_even_under_a_narrowing_umask(home: Path, narrow: int) -> None:
    old = os.umask(narrow)
    try:
        private_folder(home / "a" / "b", parents=True)
        os.close(open_private(home / "a" / "b" / "f", os.O_WRONLY))
        with replace_privately(home / "a" / "g") as out:
            out.write(b"whole")
    finally:
        os.umask(old)
    assert [mode(home / p) for p in ("a", "a/b", "a/b/f", "a/g")] == [0o700, 0o700, 0o600, 0o600]
    assert mode(home) == 0o755


def test_private_folder_refuses_what_mkdir_refuses(home: Path) -> None:
    with pytest.raises(FileNotFoundError):
        private_folder(home / "missing" / "child")
    (home / "file").touch()
    with pytest.raises(FileExistsError):
        private_folder(home / "file")
    private_folder(home)  # there already: nothing to do, nothing changed
    assert mode(home) == 0o755


def test_open_private_leaves_an_existing_file_its_mode(home: Path) -> None:
    path = home / "f"
    path.write_bytes(b"mine")
    path.chmod(0o640)
    os.close(open_private(path, os.O_RDONLY))
    assert (mode(path), path.read_bytes()) == (0o640, b"mine")


def test_replace_privately_leaves_the_target_untouched_on_an_error(home: Path) -> None:
    target = home / "t.jsonl"
    target.write_text("before")
    with pytest.raises(RuntimeError), replace_privately(target) as out:
        out.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "before"
    assert sorted(p.name for p in home.iterdir()) == ["t.jsonl"]


@pytest.mark.parametrize(
    ("before", "after"),
    [(0o644, 0o600), (0o755, 0o700), (0o444, 0o400), (0o600, 0o600)],
    ids=["0644", "0755", "0444", "0600"],
)
def test_make_private_takes_only_group_and_others_access_away(
    home: Path, before: int, after: int
) -> None:
    path = home / "f"
    path.touch()
    path.chmod(before)
    make_private(path)
    assert mode(path) == after
    make_private(home / "missing")  # nothing there, nothing done
