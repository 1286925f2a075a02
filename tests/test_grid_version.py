"""A grid's version: the same inputs give the same hash in any process, any change a new one;
it is in the result, its DataFrame and the SQLite log."""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy
import pandas
import pytest
from pydantic import BaseModel

from tests._grid import local_client
from workbench import Grid
from workbench.evals import Grade, Grader, GradingContext, Sample
from workbench.grid._run_version import grader_identity, grid_version

SCRIPT = textwrap.dedent(
    """
    from pydantic import BaseModel
    from workbench import Grid

    class City(BaseModel):
        name: str

    def weather(city: str) -> str:
        '''The weather in a city.'''
        return "sunny"

    def shorter(output):
        return len(output) < 80

    grid = Grid(
        ["Tell me about {city}", [{"role": "user", "content": "Hi {city}"}]],
        models=["m1", "m2"],
        params={"temperature": [0, 0.5], "seed": [1]},
        system="Be brief about {city}.",
        vars=[{"city": "Paris", "n": 1.5}, {"city": "Oslo", "n": None}],
        repeats=2,
        tools=[weather],
        response_format=City,
        scorers={"shorter": shorter, "chars": len},
    )
    print(grid.version)
    """
)


def _script_version(tmp_path: Path, seed: str, script: str = SCRIPT) -> str:
    path = tmp_path / "grid_script.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def test_the_same_inputs_give_the_same_version_in_other_processes(tmp_path: Path) -> None:
    first = _script_version(tmp_path, "1")
    second = _script_version(tmp_path, "2")  # another hash seed: set and dict orders differ
    assert len(first) == 12 and int(first, 16) >= 0
    assert first == second
    changed = _script_version(tmp_path, "1", SCRIPT.replace("< 80", "< 81"))  # a scorer's body
    assert changed != first


class City(BaseModel):
    name: str


class Town(BaseModel):
    name: str
    people: int


def weather(city: str) -> str:
    """The weather in a city."""
    return "sunny"


def forecast(city: str, days: int) -> str:
    """The weather in a city."""
    return "sunny"


BASE: dict[str, Any] = {
    "prompts": ["Tell me about {city}"],
    "models": ["m1"],
    "params": [{"temperature": 0}],
    "system": "Be brief.",
    "vars": [{"city": "Paris", "expected": "France"}],
    "repeats": 1,
    "tools": [weather],
    "response_format": City,
    "scorers": {"chars": len},
}

CHANGES: dict[str, Any] = {
    "prompt": {"prompts": ["Tell me all about {city}"]},
    "second prompt": {"prompts": ["Tell me about {city}", "Hi"]},
    "system": {"system": "Be briefer."},
    "no system": {"system": None},
    "model": {"models": ["m2"]},
    "models": {"models": ["m1", "m2"]},
    "params": {"params": [{"temperature": 0.1}]},
    "another param": {"params": [{"temperature": 0, "seed": 1}]},
    "vars": {"vars": [{"city": "Paris", "expected": "Paris"}]},
    "vars row": {"vars": [{"city": "Paris", "expected": "France"}, {"city": "Oslo"}]},
    "repeats": {"repeats": 2},
    "tool schema": {"tools": [forecast]},
    "no tools": {"tools": []},
    "response_format": {"response_format": Town},
    "scorer": {"scorers": {"chars": str.upper}},
    "scorer name": {"scorers": {"length": len}},
    "apis": {"apis": ["chat", "responses"]},
}


def _grid(**changes: Any) -> Grid:
    return Grid(client=local_client()[0], **{**BASE, **changes})


def test_any_change_gives_a_new_version() -> None:
    base = _grid().version
    assert _grid().version == base  # built again: the same
    versions = {name: _grid(**change).version for name, change in CHANGES.items()}
    for name, version in versions.items():
        assert version != base, name
    assert len(set(versions.values())) == len(versions)  # and each change its own


def test_the_requests_version_changes_with_the_requests_only() -> None:
    base = _grid()
    assert len(base.requests_version) == 12 and base.requests_version != base.version
    readers = {"scorer", "scorer name"}  # read the replies: no request changes
    for name, change in CHANGES.items():
        changed = _grid(**change).requests_version != base.requests_version
        assert changed == (name not in readers), name
    graded = _grid(graders=[Exact("exact")], judge_repeats=3)
    assert graded.version != base.version
    assert graded.requests_version == base.requests_version


class Exact(Grader):
    def __init__(self, name: str, definition: Mapping[str, Any] | None = None, **extra: Any):
        self.name = name
        if definition is not None:
            self.definition = definition
        self.__dict__.update(extra)

    async def grade(
        self, sample: Sample, item: Mapping[str, Any], context: GradingContext
    ) -> Grade:
        return Grade(score=1.0)


def test_graders_by_definition_or_by_their_plain_attributes() -> None:
    spec = _grid()._spec
    check = {"type": "string_check", "operation": "eq", "reference": "{{item.expected}}"}
    by_definition = grid_version(spec, [Exact("ok", check)])
    assert by_definition == grid_version(spec, [Exact("ok", dict(check))])
    assert by_definition != grid_version(spec, [Exact("ok", {**check, "operation": "ne"})])
    assert by_definition != grid_version(spec, [])
    plain = grid_version(spec, [Exact("ok", threshold=0.5, client=object())])
    assert plain == grid_version(spec, [Exact("ok", threshold=0.5, client=object())])
    assert plain != grid_version(spec, [Exact("ok", threshold=0.6, client=object())])
    assert grid_version(spec, [Exact("ok", check)]) != grid_version(spec, [Exact("ko", check)])
    assert grid_version(spec, {"ok": Exact("ok", check)}) != grid_version(
        spec, {"ok": Exact("ok", {**check, "operation": "ne"})}
    )  # graders by name: their definitions count, not only their names
    identity = grader_identity(Exact("ok", threshold=0.5, client=object()))
    assert identity == {
        "grader": f"{__name__}.Exact",
        "attributes": {"name": "ok", "threshold": 0.5},  # the client is not what defines it
    }
    assert grader_identity(len)["callable"] == "builtins.len"  # a plain callable as a grader


def test_version_in_the_result_its_frame_and_the_log(tmp_path: Path) -> None:
    log = tmp_path / "log.sqlite3"
    g = Grid(["Say hi", "Say bye"], models=["m1"], client=local_client()[0], log=log)
    result = g.run(display=False)
    assert result.version == g.version
    frame = result.to_dataframe()
    assert list(frame.columns[-2:]) == ["status", "version"]
    assert str(frame["version"].dtype) == "str" and set(frame["version"]) == {g.version}
    with sqlite3.connect(log) as db:
        metas = [json.loads(m) for (m,) in db.execute("SELECT meta FROM conversations")]
    assert sorted(m["grid"]["cell"] for m in metas) == sorted(str(c.key) for c in g.cells)
    assert {m["grid"]["version"] for m in metas} == {g.version}
    assert {m["params"]["model"] for m in metas} == {"m1"}  # the settings are still there


def test_values_without_json_are_hashed_by_what_they_are() -> None:
    day = datetime.date(2026, 1, 1)
    dated = _grid(vars=[{"city": "Paris", "when": day}]).version
    assert dated == _grid(vars=[{"city": "Paris", "when": datetime.date(2026, 1, 1)}]).version
    assert dated != _grid(vars=[{"city": "Paris", "when": datetime.date(2026, 1, 2)}]).version
    frame = pandas.DataFrame({"city": ["Paris", "Oslo"], "n": numpy.array([1, 2])})
    numbers = _grid(vars=frame).version
    assert numbers == _grid(vars=frame.copy()).version
    assert numbers != _grid(vars=frame.assign(n=numpy.array([1, 3]))).version


def test_a_var_named_version_is_refused() -> None:
    with pytest.raises(Exception, match="'version' would clash"):
        Grid(["{version}"], vars=[{"version": 1}], client=local_client()[0])


def test_openai_graders_change_the_version_down_to_a_multi_graders_parts() -> None:
    def multi(reference: str) -> dict[str, Any]:
        check = {
            "type": "string_check",
            "name": "s",
            "input": "{{ sample.output_text }}",
            "reference": reference,
            "operation": "eq",
        }
        return {"type": "multi", "name": "m", "graders": {"s": check}, "calculate_output": "s"}

    def version(**kwargs: Any) -> str:
        return Grid(["Hi"], client=local_client()[0], **kwargs).version

    assert version(graders=[multi("a")]) == version(graders=[multi("a")])
    assert version(graders=[multi("a")]) != version(graders=[multi("b")])
    assert version(graders=[multi("a")]) != version(graders=[multi("a")], judge_repeats=2)


def test_what_a_closure_or_a_partial_captures_changes_the_version() -> None:
    import functools

    def contains(word: str) -> Any:
        def check(output: str) -> bool:
            return word in output

        return check

    def has(output: str, word: str) -> bool:
        return word in output

    def version(**kwargs: Any) -> str:
        return Grid(["Hi"], client=local_client()[0], **kwargs).version

    assert version(graders={"ok": contains("Paris")}) == version(graders={"ok": contains("Paris")})
    assert version(graders={"ok": contains("Paris")}) != version(graders={"ok": contains("Rome")})
    paris, rome = (functools.partial(has, word=w) for w in ("Paris", "Rome"))
    assert version(scorers={"ok": paris}) != version(scorers={"ok": rome})
