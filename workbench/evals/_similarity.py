"""The metrics of OpenAI's ``text_similarity`` grader, each from a maintained library, each a
score from 0 to 1 for one input against one reference.

OpenAI's graders guide (https://developers.openai.com/api/docs/guides/graders, "Text
similarity graders") names the libraries for some metrics and leaves the settings open; the
graders return "a grade in the range from 0 to 1". What we chose, and why:

- ``fuzzy_match``: rapidfuzz (the guide names it) ``fuzz.WRatio`` with
  ``utils.default_process`` (lowercase, strip punctuation), divided by 100: the very call the
  guide's own rapidfuzz Python grader example makes, so the two agree.
- ``bleu``: sacrebleu's ``sentence_bleu`` (one sentence, one reference, its defaults: the 13a
  tokenizer, exponential smoothing, case kept), divided by 100. Sentence-level because a grader
  scores one reply.
- ``gleu``: nltk's ``sentence_gleu`` (Google BLEU, 1- to 4-grams), on sacrebleu's 13a tokens.
- ``meteor``: nltk's ``single_meteor_score`` (its defaults: lowercased, alpha 0.9, beta 3,
  gamma 0.5) on 13a tokens, with **exact and stem (Porter) matches only**. nltk's METEOR also
  matches WordNet synonyms, but WordNet is a corpus nltk downloads from the internet, and no
  package on PyPI ships it for nltk (``nltkdata`` is an empty placeholder, ``wn`` downloads its
  data too; Debian's ``wordnet-base`` is no pip dependency). So no synonym matches here: a reply
  that uses a synonym of a reference word scores lower than on OpenAI's graders, whose image
  has WordNet.
- ``rouge_1`` .. ``rouge_5``, ``rouge_l``: Google's rouge-score (``rouge1`` .. ``rouge5``,
  ``rougeL``), the F-measure (the balanced mean of precision and recall; the one number that
  neither a short nor a padded reply games), with its default tokenizer (lowercase, ASCII
  letters and digits only, so a text in another script has no tokens and scores 0) and no
  stemming.
- ``cosine``: both texts embedded through the grid's client (``GradingContext.embed``, the
  server's ``/v1/embeddings``), scored by the cosine of their vectors clipped to 0..1 (a
  negative cosine, texts pointing apart, scores 0). OpenAI's hosted grader embeds with
  ``text-embedding-3-large``; here the model is ``text-embedding-3-small`` (cheaper) unless the
  definition's ``embedding_model`` names another (a workbench addition to OpenAI's shape), and
  the local model's own on the local model (word and spelling overlap, not meaning). A server
  without embeddings (a 404) fails each grade, saying so; the rest of the grid runs. Two empty
  texts score 1 and one empty text 0, without a request (the API embeds no empty string).

Each library loads when a grader using its metric is built (``metric``), not when workbench or
this module is imported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .._exceptions import APIStatusError
from ._grading import EmbedCall

__all__ = ["COSINE_UNAVAILABLE", "METRICS", "cosine_similarity", "embedded_cosine", "metric"]

Metric = Callable[[str, str], float]
"""``(input, reference) -> score`` from 0 to 1."""

METRICS = (
    "fuzzy_match",
    "bleu",
    "gleu",
    "meteor",
    "rouge_1",
    "rouge_2",
    "rouge_3",
    "rouge_4",
    "rouge_5",
    "rouge_l",
    "cosine",
)
"""The ``evaluation_metric`` values OpenAI's ``text_similarity`` grader takes."""

COSINE_UNAVAILABLE = (
    "the cosine metric needs an embeddings endpoint, and this grid gives its graders none"
)


def metric(name: str) -> Metric | None:
    """The function computing metric ``name`` (one of ``METRICS``), its library loaded; None
    for ``cosine``. Raises ImportError when the library is not installed."""
    if name == "fuzzy_match":
        return _fuzzy_match()
    if name == "bleu":
        return _bleu()
    if name == "gleu":
        return _gleu()
    if name == "meteor":
        return _meteor()
    if name.startswith("rouge_"):
        return _rouge(name)
    return None


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of two vectors clipped to 0..1; 0 when either is all zeros."""
    if len(a) != len(b):
        raise ValueError(f"vectors of {len(a)} and {len(b)} numbers")
    norms = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    if not norms:
        return 0.0
    return min(1.0, max(0.0, math.fsum(x * y for x, y in zip(a, b, strict=True)) / norms))


async def embedded_cosine(
    embed: EmbedCall | None, text: str, reference: str, model: str | None
) -> float | str:
    """The ``cosine`` score of ``text`` against ``reference``, or why there is none."""
    if not text or not reference:
        return 1.0 if text == reference else 0.0
    if embed is None:
        return COSINE_UNAVAILABLE
    try:
        vectors = await embed([text, reference], model)
        return cosine_similarity(vectors[0], vectors[1])
    except APIStatusError as exc:
        if exc.status_code in (404, 405):
            return f"cosine: the server has no embeddings endpoint ({exc.status_code}: {exc})"
        return f"cosine: {type(exc).__name__}: {exc}"
    except Exception as exc:  # any failure to embed fails this grade only
        return f"cosine: {type(exc).__name__}: {exc}"


def _fuzzy_match() -> Metric:
    from rapidfuzz import fuzz, utils

    def score(text: str, reference: str) -> float:
        return fuzz.WRatio(text, reference, processor=utils.default_process) / 100.0

    return score


def _bleu() -> Metric:
    import sacrebleu

    def score(text: str, reference: str) -> float:
        return float(sacrebleu.sentence_bleu(text, [reference]).score) / 100.0

    return score


def _tokenizer() -> Callable[[str], list[str]]:
    """sacrebleu's 13a tokenizer (the one its BLEU uses): words and punctuation apart."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    tokenize = Tokenizer13a()
    return lambda text: tokenize(text).split()


def _gleu() -> Metric:
    from nltk.translate.gleu_score import sentence_gleu

    tokens = _tokenizer()

    def score(text: str, reference: str) -> float:
        return float(sentence_gleu([tokens(reference)], tokens(text)))

    return score


class _NoSynonyms:
    """Stands in for nltk's WordNet reader: no synsets, so METEOR matches exact words and
    stems only (WordNet is a download from the internet, not a package)."""

    def synsets(self, lemma: str, *args: Any, **kwargs: Any) -> list[Any]:
        return []


def _meteor() -> Metric:
    from nltk.translate.meteor_score import single_meteor_score

    tokens = _tokenizer()
    no_synonyms: Any = _NoSynonyms()

    def score(text: str, reference: str) -> float:
        hypothesis = tokens(text)
        if not hypothesis:
            return 0.0
        return float(single_meteor_score(tokens(reference), hypothesis, wordnet=no_synonyms))

    return score


def _rouge(name: str) -> Metric:
    from rouge_score.rouge_scorer import RougeScorer

    kind = "rougeL" if name == "rouge_l" else "rouge" + name.removeprefix("rouge_")
    scorer = RougeScorer([kind], use_stemmer=False)

    def score(text: str, reference: str) -> float:
        return float(scorer.score(reference, text)[kind].fmeasure)

    return score
