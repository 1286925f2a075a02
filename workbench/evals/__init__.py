"""Evals: graders that score a grid's replies (OpenAI's grader shapes and Python callables),
model judges, and what a grid needs to check and run them.

``grader_from`` turns a definition in OpenAI's grader JSON shape into a ``Grader``; the types
that need no model (``string_check``, ``text_similarity``, ``python``, ``multi``) register on
import, and so do the model graders (``score_model``, ``label_model``).
"""

from ._grading import (
    EmbedCall,
    Grade,
    Grader,
    GraderError,
    GradingContext,
    JudgeCall,
    JudgeReply,
    Sample,
)
from ._judges import (
    JUDGE_MAX_TOKENS,
    LabelModelGrader,
    ScoreModelGrader,
    build_label_model,
    build_score_model,
)
from ._multi import MultiGrader
from ._python_grader import PythonGrader
from ._registry import grader_from, register_grader_type
from ._templates import render_template, template_references
from ._text_graders import StringCheckGrader, TextSimilarityGrader

__all__ = [
    "JUDGE_MAX_TOKENS",
    "EmbedCall",
    "Grade",
    "Grader",
    "GraderError",
    "GradingContext",
    "JudgeCall",
    "JudgeReply",
    "LabelModelGrader",
    "MultiGrader",
    "PythonGrader",
    "Sample",
    "ScoreModelGrader",
    "StringCheckGrader",
    "TextSimilarityGrader",
    "build_label_model",
    "build_score_model",
    "grader_from",
    "register_grader_type",
    "render_template",
    "template_references",
]
