"""A magic's arguments: its line split with shell quoting, and the values options take."""

from __future__ import annotations

import argparse
import ast
import shlex
from collections.abc import Mapping
from typing import Any

from IPython.core.error import UsageError

__all__ = ["literal", "param_product", "parse_line", "parse_words", "parser", "response_format"]


def parse_line(magic: Any, line: str) -> argparse.Namespace:
    """``line`` parsed by ``magic``'s magic_arguments parser, with shell quoting
    (``--system 'Be brief.'``); IPython's own splitter keeps the quotes."""
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"{exc} in {line!r}") from None
    namespace: argparse.Namespace = magic.parser.parse_args(argv)
    return namespace


def parser(prog: str, arguments: list[tuple[str, ...]]) -> argparse.ArgumentParser:
    """A parser of a subcommand's words, one ``add_argument`` per tuple of names."""
    parser = argparse.ArgumentParser(prog=prog, add_help=False)
    for names in arguments:
        parser.add_argument(*names)
    return parser


def parse_words(parser: argparse.ArgumentParser, words: list[str]) -> argparse.Namespace:
    """``words`` parsed by ``parser``; a mistake is a ``UsageError`` showing the usage."""
    try:
        return parser.parse_args(words)
    except SystemExit:
        raise UsageError(parser.format_usage().strip()) from None


def literal(text: str) -> Any:
    """A ``key=value`` value: a Python literal when it is one (``0.2``, ``None``, ``[...]``),
    else the text itself (``gpt-4o-mini``)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def param_product(pairs: list[str]) -> dict[str, list[Any]]:
    """``["temperature=0,0.7", "seed=1"]`` as ``{"temperature": [0, 0.7], "seed": [1]}``."""
    params: dict[str, list[Any]] = {}
    for pair in pairs:
        key, sep, values = pair.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise UsageError(f"--param {pair!r}: write KEY=V1,V2, e.g. temperature=0,0.7")
        params[key.strip()] = [literal(v.strip()) for v in values.split(",")]
    return params


def response_format(name: str, namespace: Mapping[str, Any]) -> Any:
    """``--format NAME``: ``json`` (a JSON object), or the pydantic model or JSON schema in the
    notebook's variable ``NAME``."""
    if name == "json":
        return "json_object"
    if name in namespace:
        return namespace[name]
    raise UsageError(
        f"--format {name}: use json, or the name of a pydantic model or JSON schema variable"
    )
