"""OpenAI's grader templates: ``{{ item.* }}`` and ``{{ sample.* }}`` filled from a cell."""

from __future__ import annotations

import pytest

from workbench.evals import GraderError, Sample, render_template, template_references

SAMPLE = Sample("Paris", {"city": "Paris", "stops": [{"name": "Lyon"}, {"name": "Nice"}]})


def test_fields_fill_from_item_and_sample_with_any_spacing() -> None:
    text = render_template(
        "{{ item.expected }}|{{sample.output_text}}|{{  sample.output_json.stops[1].name  }}",
        SAMPLE,
        {"expected": "paris"},
    )
    assert text == "paris|Paris|Nice"


def test_values_that_are_not_strings_go_in_as_json() -> None:
    text = render_template("{{ sample.output_json.stops }} {{ item.n }}", SAMPLE, {"n": 3})
    assert text == '[{"name": "Lyon"}, {"name": "Nice"}] 3'


def test_text_outside_fields_is_kept_even_single_braces() -> None:
    assert render_template("a {b} {{item.x}} }", SAMPLE, {"x": "y"}) == "a {b} y }"


def test_references_are_the_item_columns_read() -> None:
    refs = template_references("{{ item.expected.city }} {{item.id}} {{ sample.output_text }}", "g")
    assert refs == {"expected", "id"}


@pytest.mark.parametrize(
    "field", ["{{ foo.bar }}", "{{ sample.output_txt }}", "{{ item }}", "{{ item.[0] }}", "{{ }}"]
)
def test_an_unknown_variable_names_the_grader_and_the_field(field: str) -> None:
    with pytest.raises(GraderError) as raised:
        template_references(f"x {field} y", "exact")
    assert str(raised.value).startswith("graders[exact]: ")
    assert "sample.output_text" in str(raised.value)  # the allowed variables


def test_a_missing_path_at_grading_time_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match=r"item\.answer"):
        render_template("{{ item.answer }}", SAMPLE, {"expected": "x"})
    with pytest.raises(KeyError, match="stops"):
        render_template("{{ sample.output_json.stops[5] }}", SAMPLE, {})
