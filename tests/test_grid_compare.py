"""Comparing two grid runs: cells matched by what they are, the reply's words diffed, score
changes and pass/fail flips (flips first), cost and latency changes, cells of one run only; the
DataFrame, its notebook view (escaped) and its plain text."""

from __future__ import annotations

import html
import re
from typing import Any

import pandas
import pytest

from tests._browser import artifacts_dir
from tests._contrast import AA, CONTRAST, theme_css
from tests._grid import local_client
from workbench import Grid
from workbench.conversation._text_diff import word_diff
from workbench.evals import Grade
from workbench.grid import GridResult


def _grid(prompts: Any, **kwargs: Any) -> Grid:
    return Grid(prompts, client=local_client()[0], **kwargs)


def _filled(grid: Grid, outputs: dict[str, str], **fields: Any) -> GridResult:
    """The grid's result with each cell answered by hand: ``outputs`` by prompt text (else
    ``"same"``), and ``fields`` (a function of the cell or a value) set on every cell."""
    for cell in grid.cells:
        cell.status = "done"
        cell.conversation = object()
        cell.output = outputs.get(cell.prompt, "same")
        for name, value in fields.items():
            setattr(cell, name, value(cell) if callable(value) else value)
    return grid.result()


# -- word diffs ----------------------------------------------------------------------------------


def test_word_diff_runs_compact_text_and_escaped_html() -> None:
    diff = word_diff("The quick brown fox jumps.", "The quick red fox leaps!")
    assert diff.ops == (
        ("equal", "The quick "),
        ("delete", "brown"),
        ("insert", "red"),
        ("equal", " fox "),
        ("delete", "jumps."),
        ("insert", "leaps!"),
    )
    assert str(diff) == "The quick [-brown-]{+red+} fox [-jumps.-]{+leaps!+}"
    assert (diff.inserted, diff.deleted, diff.changed) == (2, 2, True)
    # a replaced phrase reads as one deletion and one insertion, not word by word
    assert str(word_diff("a b c d", "a x y d")) == "a [-b c-]{+x y+} d"
    long = word_diff("start " + "kept " * 40 + "end", "begin " + "kept " * 40 + "end")
    assert long.compact(context=10) == "[-start-]{+begin+} kept kept…"
    assert word_diff("same", "same").compact() == "" and not word_diff("x", "x").changed
    hostile = word_diff("<b>hi</b>", "<img src=x onerror=alert(1)> & hi")
    page = hostile.to_html()
    assert "<img" not in page and "<b>" not in page
    inner = page.removeprefix('<span class="wb-diff">').removesuffix("</span>")
    as_after = re.sub(r"<del>.*?</del>|</?ins>", "", inner)
    as_before = re.sub(r"<ins>.*?</ins>|</?del>", "", inner)
    assert "<" not in as_after + as_before  # only the marks were tags
    assert html.unescape(as_after) == hostile.after and html.unescape(as_before) == hostile.before
    assert page.startswith('<span class="wb-diff">') and "<del>" in page and "<ins>" in page
    assert "--jp-error-color3" in hostile._repr_html_()


# -- matching ------------------------------------------------------------------------------------


def test_cells_are_matched_by_prompt_text_then_position_model_params_and_repeat() -> None:
    before = _filled(
        _grid(["Say hi", "Count to 3"], models=["m1", "m2"], params=[{"temperature": 0}]),
        {"Say hi": "Hello there"},
    )
    after = _filled(  # prompts reordered and one edited; m2 dropped, m3 added
        _grid(["Count to 3", "Say hello"], models=["m1", "m3"], params=[{"temperature": 0}]),
        {"Say hello": "Hello world"},
    )
    frame = before.compare(after)
    both = frame[frame["side"] == "both"]
    assert len(both) == 2 and set(both["column"]) == {"m1 · temperature=0"}
    edited = both[both["prompt_after"] == "Say hello"].iloc[0]
    assert edited["prompt_before"] == "Say hi"  # paired by position once the texts differ
    assert edited["output_before"] == "Hello there" and edited["output_after"] == "Hello world"
    assert edited["diff"] == "Hello [-there-]{+world+}" and edited["words_changed"] == 2
    same = both[both["prompt_after"] == "Count to 3"].iloc[0]
    assert same["prompt_before"] == "Count to 3" and same["diff"] == ""  # paired by text
    only = frame[frame["side"] != "both"]
    assert sorted(zip(only["side"], only["column"], strict=True)) == [
        ("after only", "m3 · temperature=0"),
        ("after only", "m3 · temperature=0"),
        ("before only", "m2 · temperature=0"),
        ("before only", "m2 · temperature=0"),
    ]
    assert only[only["side"] == "after only"]["cell_before"].isna().all()
    assert list(frame.index) == list(range(len(frame)))  # one side's cells come last
    assert list(frame["side"][:2]) == ["both", "both"]


def test_vars_rows_match_by_values_and_repeats_by_number() -> None:
    before = _filled(_grid("Hi {name}", vars=[{"name": "Ann"}, {"name": "Bob"}], repeats=2), {})
    after = _filled(_grid("Hi {name}", vars=[{"name": "Bob"}, {"name": "Cy"}], repeats=2), {})
    frame = before.compare(after)
    both = frame[frame["side"] == "both"]
    assert set(both["prompt_after"]) == {"Hi Bob", "Hi Cy"}
    bob = both[both["prompt_after"] == "Hi Bob"]
    assert set(bob["prompt_before"]) == {"Hi Bob"} and sorted(bob["repeat"]) == [0, 1]
    assert set(both[both["prompt_after"] == "Hi Cy"]["prompt_before"]) == {"Hi Ann"}


# -- scores, flips, cost and latency -------------------------------------------------------------


def test_flips_come_first_then_the_largest_score_change() -> None:
    prompts = ["a", "b", "c", "d", "e"]
    passed_before = {"a": True, "b": True, "c": False, "d": True, "e": True}
    passed_after = {"a": True, "b": False, "c": True, "d": True, "e": True}
    score_before = {"a": 0.5, "b": 0.9, "c": 0.2, "d": 0.5, "e": 0.5}
    score_after = {"a": 0.6, "b": 0.1, "c": 0.8, "d": 0.95, "e": 0.5}

    def grades(scores: dict[str, float], passed: dict[str, bool]) -> Any:
        return lambda cell: {"judge": Grade(score=scores[cell.prompt], passed=passed[cell.prompt])}

    before = _filled(
        _grid(prompts),
        {p: f"reply {p}" for p in prompts},
        grades=grades(score_before, passed_before),
        scores=lambda cell: {"chars": len(cell.output), "ok": cell.prompt != "d"},
        cost_usd=0.002,
        latency_s=1.0,
    )
    after = _filled(
        _grid(prompts),
        {p: f"reply {p}" for p in prompts},
        grades=grades(score_after, passed_after),
        scores=lambda cell: {"chars": len(cell.output), "ok": True},
        cost_usd=lambda cell: 0.003 if cell.prompt == "a" else 0.002,
        latency_s=lambda cell: 1.5 if cell.prompt == "a" else None,
    )
    frame = before.compare(after)
    # d's largest change is its True/False scorer's (+1), c's its judge's (+0.6)
    assert list(frame["prompt_after"]) == ["b", "d", "c", "a", "e"]
    assert list(frame["flipped"][:3]) == ["pass -> fail", "fail -> pass", "fail -> pass"]
    assert list(frame["flipped_by"][:3]) == ["judge", "ok", "judge"]  # a True/False scorer too
    assert frame["flipped"][3:].isna().all()
    assert frame["judge_change"].tolist() == pytest.approx([-0.8, 0.45, 0.6, 0.1, 0.0])
    assert frame["ok_change"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    assert frame["judge_passed_before"].tolist() == [True, True, False, True, True]
    assert frame["ok_passed_after"].tolist() == [True] * 5
    assert str(frame["judge_passed_before"].dtype) == "boolean"
    assert str(frame["judge_change"].dtype) == "float64"
    row_a = frame[frame["prompt_after"] == "a"].iloc[0]
    assert row_a["cost_usd_change"] == pytest.approx(0.001)
    assert row_a["latency_s_change"] == pytest.approx(0.5)
    assert frame[frame["prompt_after"] == "b"]["latency_s_change"].isna().all()  # unknown after
    assert frame["chars_change"].tolist() == [0.0] * 5


def test_missing_scores_on_both_sides_are_no_change() -> None:
    nan = float("nan")
    before = _filled(_grid(["a", "b"]), {}, scores={"ratio": nan})
    after = _filled(
        _grid(["a", "b"]), {}, scores=lambda c: {"ratio": nan if c.prompt == "a" else 1.0}
    )
    assert "1 cells unchanged" in repr(before.compare(after))


def test_a_failed_grade_is_no_flip() -> None:
    before = _filled(_grid("a"), {}, grades={"judge": Grade(score=1.0, passed=True)})
    after = _filled(_grid("a"), {}, grades={"judge": Grade.failed("the judge did not answer")})
    frame = before.compare(after)
    assert frame["flipped"].isna().all()
    assert frame["judge_after"].isna().all() and frame["judge_passed_after"].isna().all()


# -- the frame and its views ---------------------------------------------------------------------


def test_the_comparison_is_a_dataframe_whose_slices_are_plain() -> None:
    before = _filled(_grid(["a", "b"]), {"a": "one"})
    after = _filled(_grid(["a", "b"]), {"a": "two"})
    frame = before.compare(after)
    assert isinstance(frame, pandas.DataFrame)
    assert type(frame[frame["side"] == "both"]) is pandas.DataFrame
    assert type(frame.head()) is pandas.DataFrame and "GridComparison" not in repr(frame.head())
    assert frame.comparison.matches[0].diff is not None
    assert frame.comparison.before_version == before.version
    for name in ("side", "row", "column", "output_before", "diff", "flipped"):
        assert str(frame[name].dtype) == "str", name
    assert str(frame["repeat"].dtype) == "int64"
    assert str(frame["words_changed"].dtype) == "Int64"


def test_the_views_list_what_changed_and_escape_model_text() -> None:
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    before = _filled(
        _grid(["a", "b", "c"]),
        {"a": "safe reply", "b": "same"},
        grades=lambda cell: {"judge": Grade(score=1.0, passed=True)},
    )
    after = _filled(
        _grid(["a", "b", "c"]),
        {"a": hostile, "b": "same"},
        grades=lambda cell: {
            "judge": Grade(score=0.0 if cell.prompt == "a" else 1.0, passed=cell.prompt != "a")
        },
    )
    frame = before.compare(after)
    text = repr(frame)
    assert text.startswith(
        f"GridComparison: version {before.version} -> {after.version}: 3 cells in both runs,"
        " 1 replies changed, 1 pass -> fail, 0 fail -> pass"
    )
    assert "[pass -> fail: judge] a" in text and "judge: 1 -> 0 (-1)" in text
    assert "2 cells unchanged" in text
    page = frame._repr_html_()
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<del>safe reply</del>" in page
    assert "class='wb-flip-fail'>pass -&gt; fail</span> judge" in page
    assert "2 cells unchanged, not listed" in page
    assert page.count("<tr>") == 2  # the header and the one changed cell
    assert "var(--jp-error-color3" in page and "var(--jp-success-color3" in page


def test_comparing_real_runs_of_the_local_model() -> None:
    before = _grid(["Say hi", "Say bye"], models=["m1"], scorers={"chars": len})
    after = _grid(["Say hi", "Say goodbye"], models=["m1"], scorers={"chars": len})
    a, b = before.run(display=False), after.run(display=False)
    assert a.version != b.version
    frame = a.compare(b)
    assert list(frame["side"]) == ["both", "both"]
    same = frame[frame["prompt_after"] == "Say hi"].iloc[0]
    assert same["diff"] == "" and same["chars_change"] == 0  # the local model is deterministic
    changed = frame[frame["prompt_after"] == "Say goodbye"].iloc[0]
    assert changed["prompt_before"] == "Say bye" and "{+" in changed["diff"]
    assert changed["latency_s_change"] == pytest.approx(
        changed["latency_s_after"] - changed["latency_s_before"]
    )


# -- the notebook view in JupyterLab's themes ----------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark", "dark-high-contrast"])
def test_the_notebook_view_is_readable_in_each_theme(page: Any, theme: str) -> None:
    prompts = ["Say hi", "Describe the sea", "Count to 3"]
    before = _filled(
        _grid(prompts, models=["m1"]),
        {"Say hi": "Hello there, friend.", "Describe the sea": "The sea is <b>blue</b> and calm."},
        grades=lambda cell: {"judge": Grade(score=0.9, passed=True)},
        cost_usd=0.002,
        latency_s=1.0,
    )
    after = _filled(
        _grid(prompts, models=["m1"]),
        {"Say hi": "Hello world, friend!", "Describe the sea": "The sea is grey and rough."},
        grades=lambda cell: {
            "judge": Grade(score=0.2, passed=False)
            if cell.prompt == "Describe the sea"
            else Grade(score=0.95, passed=True)
        },
        cost_usd=0.0025,
        latency_s=1.4,
    )
    view = before.compare(after)._repr_html_()
    page.set_content(f"<!doctype html><html><body>{view}</body></html>")
    page.add_style_tag(content=theme_css(theme))
    page.evaluate(
        """(light) => {
          document.body.setAttribute('data-jp-theme-light', String(light));
          document.body.style.background = 'var(--jp-layout-color0)';
          document.body.style.color = 'var(--jp-content-font-color1)';
          document.body.style.fontFamily = 'sans-serif';
        }""",
        theme == "light",
    )
    rows = page.locator(".wb-compare tbody tr")
    assert rows.count() == 3  # "Count to 3" by its score alone
    assert "pass -> fail" in str(rows.first.text_content())  # the flip first
    assert rows.first.locator("del").all_text_contents() == ["<b>blue</b>", "calm"]
    assert page.locator(".wb-compare b:not(p > b)").count() == 0  # model text stays text
    texts = page.evaluate(CONTRAST, ".wb-compare")
    assert len(texts) >= 10
    assert [t for t in texts if t["ratio"] < AA] == []
    path = artifacts_dir() / f"grid-compare-{theme}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.locator(".wb-compare").screenshot(path=str(path))
    page.set_viewport_size({"width": 420, "height": 900})
    page.locator(".wb-compare").screenshot(
        path=str(artifacts_dir() / f"grid-compare-{theme}-narrow.png")
    )
    assert page.locator(".wb-compare-score").count() == 3
    for score in page.locator(".wb-compare-score").all():  # "judge: 0.9 -> 0.2" on one line
        box = score.bounding_box()
        assert box is not None and box["height"] < 2 * float(
            score.evaluate("n => parseFloat(getComputedStyle(n).lineHeight) || 20")
        )
