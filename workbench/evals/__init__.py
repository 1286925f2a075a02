"""Evals: graders that score a grid's replies (OpenAI's grader shapes and Python callables),
model judges, and what a grid needs to check and run them."""

from ._grading import Grade, Grader, GraderError, GradingContext, JudgeCall, JudgeReply, Sample
from ._templates import render_template, template_references

__all__ = [
    "Grade",
    "Grader",
    "GraderError",
    "GradingContext",
    "JudgeCall",
    "JudgeReply",
    "Sample",
    "render_template",
    "template_references",
]
