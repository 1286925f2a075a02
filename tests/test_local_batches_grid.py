"""A grid's own Batch file run as a batch by the local model reads back as the grid's live run:
the same output in every cell, repeats included (the batch sampling rule of ``_variants``)."""

from __future__ import annotations

from pathlib import Path

from tests._batches import FakeClock, batch, create_batch, local, upload
from tests._grid import local_client
from workbench import Grid, GridResult


def _grid() -> Grid:
    return Grid(
        ["Describe {city} in a line.", "Name a street in {city}."],
        vars=[{"city": "Lisbon"}, {"city": "Turku"}],
        params={"temperature": [0.7, 1.0]},
        models=["model-a"],
        repeats=3,
        client=local_client()[0],  # a fresh local model: a fresh live run
    )


def _live_and_batch_file(tmp_path: Path) -> tuple[Grid, Grid, Path]:
    """The grid run live on a fresh local model, and the same grid written as a Batch file."""
    live = _grid()
    live.run(display=False)
    batched = _grid()
    [requests] = batched.to_batch_jsonl(tmp_path / "requests.jsonl")
    return live, batched, requests


def test_a_grid_run_as_a_local_batch_reads_back_as_its_live_run(tmp_path: Path) -> None:
    live, batched, requests = _live_and_batch_file(tmp_path)
    clock = FakeClock()
    _, client = local(clock)
    made = upload(client, requests.read_bytes(), filename="requests.jsonl")
    batch_id = create_batch(client, made["id"])["id"]
    clock.advance(3600)
    done = batch(client, batch_id)
    assert done["status"] == "completed"
    assert done["request_counts"]["completed"] == len(batched.cells) == 24
    output = client.get(f"/files/{done['output_file_id']}/content")
    (tmp_path / "output.jsonl").write_bytes(output.content)
    result = GridResult.from_batch_output(batched, tmp_path / "output.jsonl")
    assert result.counts == {"done": 24}
    outputs = {str(cell.key): cell.output for cell in batched.cells}
    assert outputs == {str(cell.key): cell.output for cell in live.cells}
    repeats: dict[tuple[int, int, int], set[str | None]] = {}
    for cell in batched.cells:
        key = (cell.key.prompt, cell.key.vars, cell.key.params)
        repeats.setdefault(key, set()).add(cell.output)
    assert all(len(outputs) > 1 for outputs in repeats.values())  # repeats are sampled


def test_a_grid_split_across_batches_keeps_each_repeats_reply(tmp_path: Path) -> None:
    """Each line in a batch of its own (the worst split): the cell key's repeat still picks
    the reply."""
    live, batched, requests = _live_and_batch_file(tmp_path)
    clock = FakeClock()
    _, client = local(clock)
    ids = []
    for line in requests.read_bytes().splitlines():
        made = upload(client, line + b"\n")
        ids.append(create_batch(client, made["id"])["id"])
    clock.advance(3600)
    paths = []
    for n, batch_id in enumerate(ids):
        output_id = batch(client, batch_id)["output_file_id"]
        path = tmp_path / f"out-{n}.jsonl"
        path.write_bytes(client.get(f"/files/{output_id}/content").content)
        paths.append(path)
    GridResult.from_batch_output(batched, paths)
    assert [c.output for c in batched.cells] == [c.output for c in live.cells]
