"""``%wb``'s subcommands, each a function of the magics and the words after its name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ._arguments import literal, parse_words, parser
from ._output import inert, usage_error

if TYPE_CHECKING:
    from ._workbench_magics import WorkbenchMagics

__all__ = ["COMMANDS", "HELP"]

_DEFAULT = "chat"

HELP = (
    "models [NAME]: the models the server lists. "
    "params [NAME] [key=value ...]: show or set parameters (value None unsets; api=chat, "
    "responses or auto: the protocol). "
    "tools NAME [function ...]: register functions as tools, or list them. "
    "history [NAME]: the transcript. "
    "new NAME [-m MODEL] [--system TEXT]: a new conversation. "
    "export NAME VAR: the transcript as a DataFrame into VAR. "
    "grid VAR: the last grid result's DataFrame into VAR. "
    "record PATH | off: record every exchange to a cassette. "
    "replay PATH | off: answer from a cassette, offline."
)
"""``%wb?``'s list of the subcommands."""


def _name_and_rest(words: list[str]) -> tuple[str, list[str]]:
    if words and "=" not in words[0]:
        return words[0], words[1:]
    return _DEFAULT, words


def _models(magics: WorkbenchMagics, words: list[str]) -> None:
    from ..conversation._model_ids import model_ids

    client = magics.conversation(words[0], create=False).client if words else magics.client()
    try:
        ids = model_ids(client)
    except Exception as exc:
        raise usage_error(exc) from None
    print(inert("\n".join(ids)) if ids else "(the server lists no models)")


def _params(magics: WorkbenchMagics, words: list[str]) -> None:
    name, pairs = _name_and_rest(words)
    chat = magics.conversation(name, create=False)
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{pair!r}: write key=value, e.g. temperature=0.2")
        values[key.strip()] = literal(text.strip())
    api = values.pop("api", chat.api)  # the protocol, beside the parameters
    if pairs:
        from ..conversation._protocol_choice import check_api

        try:
            check_api(api)
            merged = chat.params.merged(**values)  # all or nothing
            merged.to_request()
        except Exception as exc:
            raise usage_error(exc) from None
        for key, value in values.items():
            setattr(chat.params, key, value)
        chat.api = api
    print(repr(chat.params))
    print(f"api={chat.api!r}")


def _tools(magics: WorkbenchMagics, words: list[str]) -> None:
    if not words:
        raise UsageError("usage: %wb tools NAME [function ...]")
    chat = magics.conversation(words[0], create=False)
    functions = []
    for name in words[1:]:
        function = magics.namespace.get(name)
        if not callable(function):
            raise UsageError(f"{name}: no function of that name in the notebook")
        functions.append(function)
    try:
        for function in functions:
            chat.tool(function)
    except Exception as exc:
        raise usage_error(exc) from None
    for tool in chat.tools.values():
        print(f"{tool.name}{'' if tool.enabled else ' (off)'}: {tool.description or ''}")


def _history(magics: WorkbenchMagics, words: list[str]) -> None:
    from ..widgets._plain_text import transcript_text

    print(transcript_text(magics.conversation(words[0] if words else _DEFAULT, create=False)))


def _new(magics: WorkbenchMagics, words: list[str]) -> None:
    args = parse_words(parser("%wb new", [("name",), ("-m", "--model"), ("--system",)]), words)
    if not args.name.isidentifier():
        raise UsageError(f"{args.name!r} is not a variable name")
    if args.name in magics.made:  # one the magics made: replaced
        magics.namespace.pop(args.name, None)
    elif args.name in magics.namespace:
        raise UsageError(f"{args.name} is already a variable: choose another name")
    options = {k: v for k, v in (("model", args.model), ("system", args.system)) if v}
    magics.conversation(args.name, **options)
    print(f"{args.name}: a new conversation")


def _export(magics: WorkbenchMagics, words: list[str]) -> None:
    if len(words) != 2:
        raise UsageError("usage: %wb export NAME VAR")
    chat = magics.conversation(words[0], create=False)
    if not words[1].isidentifier():
        raise UsageError(f"{words[1]!r} is not a variable name")
    try:
        frame = chat.to_dataframe()
    except Exception as exc:
        raise usage_error(exc) from None
    magics.namespace[words[1]] = frame
    print(f"{words[1]}: {len(frame)} messages")


def _grid(magics: WorkbenchMagics, words: list[str]) -> None:
    if len(words) != 1 or not words[0].isidentifier():
        raise UsageError("usage: %wb grid VAR (the last %%grid result's DataFrame into VAR)")
    if magics.last_grid is None:
        raise UsageError("no grid has run yet: run one with %%grid")
    frame = magics.last_grid.result().to_dataframe()
    magics.namespace[words[0]] = frame
    print(f"{words[0]}: {len(frame)} cells")


def _cassette(mode: str, magics: WorkbenchMagics, words: list[str]) -> None:
    """``%wb record`` and ``%wb replay``: every conversation the magics made, and the ones they
    make next, switch to a client that records to (or answers from) the cassette."""
    from ..client._client import Client

    if len(words) != 1:
        raise UsageError(f"usage: %wb {mode} PATH (or off)")
    options: dict[str, Any] = {} if words[0] == "off" else {mode: words[0]}
    try:
        client = Client(**options)
    except Exception as exc:
        raise usage_error(exc) from None
    magics.use_client(client)
    state = "off" if words[0] == "off" else f"{mode}ing {words[0]}"
    print(f"{mode}: {state}")


COMMANDS: dict[str, Callable[[WorkbenchMagics, list[str]], None]] = {
    "models": _models,
    "params": _params,
    "tools": _tools,
    "history": _history,
    "new": _new,
    "export": _export,
    "grid": _grid,
    "record": lambda magics, words: _cassette("record", magics, words),
    "replay": lambda magics, words: _cassette("replay", magics, words),
}
"""Each subcommand of ``%wb`` by name (the order ``%wb?`` lists them in)."""
