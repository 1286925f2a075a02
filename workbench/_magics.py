"""IPython magics: ``%%chat``, ``%chat`` and ``%wb`` (``%load_ext workbench``).

Loading is cheap: this module imports only IPython's magic machinery; the client, the
conversation, pandas and the widgets load on first use. Every error a user can cause (a missing
``{name}``, an invalid parameter, an API error) is raised as IPython's ``UsageError``: one red
line, no traceback through workbench, and the cell counts as failed so "Run all" stops there.
The conversation is left as it was (a failed request keeps the user message and marks the
partial reply, as ``Conversation.send`` does).
"""

from __future__ import annotations

import argparse
import ast
import shlex
import string
import sys
import tokenize
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.inputtransformer2 import EscapedCommand
from IPython.core.magic import (
    Magics,
    cell_magic,
    line_cell_magic,
    line_magic,
    magics_class,
    no_var_expand,
)
from IPython.core.magic_arguments import argument, magic_arguments

if TYPE_CHECKING:
    from .client._client import Client
    from .conversation import Conversation

__all__ = ["ChatQuestion", "WorkbenchMagics", "fill", "load", "unload"]

_DEFAULT = "chat"
_COMMANDS = ["models", "params", "tools", "history", "new", "export", "grid", "record", "replay"]


class _Formatter(string.Formatter):
    """``str.format`` over the notebook's namespace, with a clear error for a missing name."""

    def __init__(self, namespace: Mapping[str, Any]) -> None:
        self.namespace = namespace

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, int) or not key:
            raise UsageError("'{}' needs a variable name inside; write {{ and }} for braces")
        if key not in self.namespace:
            raise UsageError(
                f"{{{key}}}: no variable {key!r} in the notebook (write {{{{ and }}}} for "
                "literal braces)"
            )
        return self.namespace[key]


def fill(template: str, namespace: Mapping[str, Any]) -> str:
    """``template`` with each ``{name}`` (or ``{name.attr}``, ``{name[0]}``, ``{name:.2f}``)
    replaced from ``namespace``; ``{{`` and ``}}`` are literal braces.

    Raises:
        UsageError: a name that is not in the namespace, or unbalanced braces.
    """
    try:
        return _Formatter(namespace).vformat(template, (), {})
    except UsageError:
        raise
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        raise UsageError(f"in the {{...}} fields: {exc} (write {{{{ and }}}} for braces)") from None


def _value(text: str) -> Any:
    """A ``key=value`` value: a Python literal when it is one (``0.2``, ``None``, ``[...]``),
    else the text itself (``gpt-4o-mini``)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _error(exc: BaseException) -> UsageError:
    """One clear line for an error from workbench or the API (secrets are already scrubbed;
    control characters a server put in its message are shown escaped)."""
    message = str(exc) or type(exc).__name__
    return UsageError(_inert(f"{type(exc).__name__}: {message}"))


def _inert(text: str) -> str:
    """``text`` safe to print to a terminal: escape sequences shown, not acted on."""
    from .widgets._plain_text import inert

    return inert(text)


@magics_class
class WorkbenchMagics(Magics):
    """``%%chat``, ``%chat`` and ``%wb``; see each magic's ``?`` for its options."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self._client: Client | None = None
        self._names: set[str] = set()
        self._last_grid: Any = None

    # -- conversations in the namespace --------------------------------------------------------

    @property
    def _ns(self) -> dict[str, Any]:
        namespace: dict[str, Any] = self.shell.user_ns  # type: ignore[union-attr]
        return namespace

    def client(self) -> Client:
        """The client the magics' conversations use (``Client()`` until ``%wb record/replay``)."""
        if self._client is None:
            from .client._client import Client

            self._client = Client()
        return self._client

    def conversation(self, name: str, *, create: bool = True, **options: Any) -> Conversation:
        """The ``Conversation`` in variable ``name`` (made there on first use)."""
        from .conversation import Conversation

        if not name.isidentifier():
            raise UsageError(f"{name!r} is not a variable name")
        existing = self._ns.get(name)
        if isinstance(existing, Conversation):
            return existing
        if existing is not None:
            raise UsageError(
                f"{name} is a {type(existing).__name__}, not a Conversation: choose another name"
            )
        if not create:
            raise UsageError(f"no conversation named {name}: start one with %%chat {name}")
        try:
            chat = Conversation(client=self.client(), **options)
        except Exception as exc:
            raise _error(exc) from None
        self._ns[name] = chat
        self._names.add(name)
        return chat

    # -- %%chat and %chat ----------------------------------------------------------------------

    @no_var_expand
    @magic_arguments()
    @argument("name", nargs="?", default=_DEFAULT, help="the conversation's variable (chat)")
    @argument("-m", "--model", help="the model for this turn (and a new conversation's)")
    @argument("--system", help="set the conversation's system prompt")
    @argument("--temperature", type=float, help="the temperature for this turn")
    @argument("--reasoning-effort", dest="reasoning_effort", help="for this turn")
    @argument(
        "--format",
        dest="format",
        help="json (a JSON object), or the name of a pydantic model or JSON schema variable",
    )
    @argument("--no-stream", dest="no_stream", action="store_true", help="wait for the reply")
    @line_cell_magic
    def chat(self, line: str, cell: str | None = None) -> None:
        """Send a user turn and show the reply as it streams.

        ``%%chat [NAME] [options]`` sends the cell's body to the conversation in variable NAME
        (``chat``, made on first use); ``%chat TEXT`` sends one line to ``chat``. ``{name}`` in
        the text is filled from the notebook's variables; ``{{`` and ``}}`` are literal braces.
        The reply is then ``NAME[-1]``.
        """
        if cell is None:
            text, args = line, _arguments(self.chat, "")
        else:
            text, args = cell, _arguments(self.chat, line)
        content = fill(text, self._ns).strip()
        if not content:
            raise UsageError("nothing to send: the message is empty")
        options: dict[str, Any] = {}
        if args.model:
            options["model"] = args.model
        exists = self._ns.get(args.name) is not None
        chat = self.conversation(args.name, **({} if exists else options))
        overrides = self._overrides(args)
        try:  # validated before anything is sent
            chat.params.to_request(**overrides)
        except Exception as exc:
            raise _error(exc) from None
        if args.system is not None:
            chat.system = fill(args.system, self._ns)
        self._send(chat, content, stream=not args.no_stream, overrides=overrides)

    def _overrides(self, args: argparse.Namespace) -> dict[str, Any]:
        overrides: dict[str, Any] = {}
        if args.model:
            overrides["model"] = args.model
        if args.temperature is not None:
            overrides["temperature"] = args.temperature
        if args.reasoning_effort:
            overrides["reasoning_effort"] = args.reasoning_effort
        if args.format:
            if args.format == "json":
                overrides["response_format"] = "json_object"
            elif args.format in self._ns:
                overrides["response_format"] = self._ns[args.format]
            else:
                raise UsageError(
                    f"--format {args.format}: use json, or the name of a pydantic model or"
                    " JSON schema variable"
                )
        return overrides

    def _send(self, chat: Any, content: str, *, stream: bool, overrides: dict[str, Any]) -> None:
        start = len(chat.messages)
        live = _show_turn(chat, start)
        unsubscribe: Callable[[], None] | None = None
        if live is None:
            unsubscribe = chat.subscribe(_print_deltas)
        try:
            chat.send(content, stream=stream, **overrides)
        except Exception as exc:
            raise _error(exc) from None
        finally:
            if unsubscribe is not None:
                unsubscribe()
                print()
            if live is not None:
                live.finish()  # the saved text/plain: the finished turn
        if live is None:
            _print_marks(chat, start)

    # -- %wb -------------------------------------------------------------------------------------

    @no_var_expand
    @magic_arguments()
    @argument(
        "command",
        choices=[
            "models",
            "params",
            "tools",
            "history",
            "new",
            "export",
            "grid",
            "record",
            "replay",
        ],
        help=(
            "models [NAME]: the models the server lists. "
            "params [NAME] [key=value ...]: show or set parameters (value None unsets). "
            "tools NAME [function ...]: register functions as tools, or list them. "
            "history [NAME]: the transcript. "
            "new NAME [-m MODEL] [--system TEXT]: a new conversation. "
            "export NAME VAR: the transcript as a DataFrame into VAR. "
            "grid VAR: the last grid result's DataFrame into VAR. "
            "record PATH | off: record every exchange to a cassette. "
            "replay PATH | off: answer from a cassette, offline."
        ),
    )
    @argument("args", nargs=argparse.REMAINDER, help="the command's arguments")
    @line_magic
    def wb(self, line: str) -> None:
        """workbench's commands: see ``%wb?`` for the list."""
        args = _arguments(self.wb, line)
        rest = list(args.args)
        handler = getattr(self, f"_wb_{args.command}")
        handler(rest)

    def _name_and_rest(self, rest: list[str]) -> tuple[str, list[str]]:
        if rest and "=" not in rest[0]:
            return rest[0], rest[1:]
        return _DEFAULT, rest

    def _wb_models(self, rest: list[str]) -> None:
        from .conversation._model_ids import model_ids

        client = self.conversation(rest[0], create=False).client if rest else self.client()
        try:
            ids = model_ids(client)
        except Exception as exc:
            raise _error(exc) from None
        print(_inert("\n".join(ids)) if ids else "(the server lists no models)")

    def _wb_params(self, rest: list[str]) -> None:
        name, pairs = self._name_and_rest(rest)
        chat = self.conversation(name, create=False)
        if not pairs:
            print(repr(chat.params))
            return
        values: dict[str, Any] = {}
        for pair in pairs:
            key, sep, text = pair.partition("=")
            if not sep or not key:
                raise UsageError(f"{pair!r}: write key=value, e.g. temperature=0.2")
            values[key.strip()] = _value(text.strip())
        try:
            merged = chat.params.merged(**values)  # all or nothing
            merged.to_request()
        except Exception as exc:
            raise _error(exc) from None
        for key, value in values.items():
            setattr(chat.params, key, value)
        print(repr(chat.params))

    def _wb_tools(self, rest: list[str]) -> None:
        if not rest:
            raise UsageError("usage: %wb tools NAME [function ...]")
        chat = self.conversation(rest[0], create=False)
        functions = []
        for name in rest[1:]:
            function = self._ns.get(name)
            if not callable(function):
                raise UsageError(f"{name}: no function of that name in the notebook")
            functions.append(function)
        try:
            for function in functions:
                chat.tool(function)
        except Exception as exc:
            raise _error(exc) from None
        for tool in chat.tools.values():
            print(f"{tool.name}{'' if tool.enabled else ' (off)'}: {tool.description or ''}")

    def _wb_history(self, rest: list[str]) -> None:
        from .widgets._plain_text import transcript_text

        print(transcript_text(self.conversation(rest[0] if rest else _DEFAULT, create=False)))

    def _wb_new(self, rest: list[str]) -> None:
        parser = _parser("%wb new", [("name",), ("-m", "--model"), ("--system",)])
        args = _parse(parser, rest)
        if not args.name.isidentifier():
            raise UsageError(f"{args.name!r} is not a variable name")
        if args.name in self._names:  # one the magics made: replaced
            self._ns.pop(args.name, None)
        elif args.name in self._ns:
            raise UsageError(f"{args.name} is already a variable: choose another name")
        options = {k: v for k, v in (("model", args.model), ("system", args.system)) if v}
        self.conversation(args.name, **options)
        print(f"{args.name}: a new conversation")

    def _wb_export(self, rest: list[str]) -> None:
        if len(rest) != 2:
            raise UsageError("usage: %wb export NAME VAR")
        chat = self.conversation(rest[0], create=False)
        if not rest[1].isidentifier():
            raise UsageError(f"{rest[1]!r} is not a variable name")
        try:
            frame = chat.to_dataframe()
        except Exception as exc:
            raise _error(exc) from None
        self._ns[rest[1]] = frame
        print(f"{rest[1]}: {len(frame)} messages")

    def _wb_grid(self, rest: list[str]) -> None:
        if len(rest) != 1 or not rest[0].isidentifier():
            raise UsageError("usage: %wb grid VAR (the last %%grid result's DataFrame into VAR)")
        if self._last_grid is None:
            raise UsageError("no grid has run yet: run one with %%grid")
        frame = self._last_grid.result().to_dataframe()
        self._ns[rest[0]] = frame
        print(f"{rest[0]}: {len(frame)} cells")

    # -- %%grid ----------------------------------------------------------------------------------

    @no_var_expand
    @magic_arguments()
    @argument("name", nargs="?", default="grid", help="the variable for the Grid (grid)")
    @argument("-m", "--model", action="append", dest="models", help="a model (repeatable)")
    @argument(
        "-p",
        "--param",
        action="append",
        dest="params",
        metavar="KEY=V1,V2",
        help="a parameter and its values (repeatable; the sets are their product)",
    )
    @argument("--vars", help="a DataFrame or list of dicts whose rows fill {name} fields")
    @argument("--system", help="a system prompt for every cell")
    @argument("--repeats", type=int, default=1, help="how many times each cell is sent")
    @argument("--concurrency", type=int, default=8, help="requests in flight at once")
    @argument("--format", dest="format", help="json, or a pydantic model or schema variable")
    @argument("-o", "--out", default="grid_result", help="the variable for the result")
    @cell_magic
    def grid(self, line: str, cell: str) -> None:
        """Run a comparison grid: the cell's prompts x models x parameter sets, shown live.

        One prompt per line, or prompts separated by lines of ``---``. With ``--vars``, each
        prompt is a template filled from each row; without, ``{name}`` comes from the notebook.
        The ``Grid`` goes in NAME (``grid``), its ``GridResult`` in ``--out`` (``grid_result``);
        ``%wb grid VAR`` puts the result's DataFrame in VAR.
        """
        from .grid import Grid

        args = _arguments(self.grid, line)
        for variable in (args.name, args.out):
            if not variable.isidentifier():
                raise UsageError(f"{variable!r} is not a variable name")
        prompts = _prompts(cell)
        rows = None
        if args.vars:
            if args.vars not in self._ns:
                raise UsageError(f"--vars {args.vars}: no such variable in the notebook")
            rows = self._ns[args.vars]
        else:
            prompts = [fill(prompt, self._ns) for prompt in prompts]
        if not prompts:
            raise UsageError("no prompts: write one per line (or separate them with ---)")
        params = _param_product(args.params or [])
        overrides = self._overrides(
            argparse.Namespace(model=None, temperature=None, reasoning_effort=None,
                               format=args.format)
        )  # fmt: skip
        try:
            grid = Grid(
                prompts,
                models=args.models or None,
                params=params or None,
                system=fill(args.system, self._ns) if args.system else None,
                vars=rows,
                repeats=args.repeats,
                response_format=overrides.get("response_format"),
                concurrency=args.concurrency,
                client=self.client(),
            )
        except Exception as exc:
            raise _error(exc) from None
        self._ns[args.name] = grid
        self._last_grid = grid
        try:
            result = grid.run()
        except Exception as exc:
            raise _error(exc) from None
        self._ns[args.out] = result
        if _show_turn_view_absent():
            from .widgets import grid_text

            print(grid_text(grid))

    def _wb_record(self, rest: list[str]) -> None:
        self._cassette("record", rest)

    def _wb_replay(self, rest: list[str]) -> None:
        self._cassette("replay", rest)

    def _cassette(self, mode: str, rest: list[str]) -> None:
        from .client._client import Client

        if len(rest) != 1:
            raise UsageError(f"usage: %wb {mode} PATH (or off)")
        options: dict[str, Any] = {} if rest[0] == "off" else {mode: rest[0]}
        try:
            client = Client(**options)
        except Exception as exc:
            raise _error(exc) from None
        self._client = client
        for name in self._names:
            chat = self._ns.get(name)
            if chat is not None and hasattr(chat, "client"):
                chat.client = client
        state = "off" if rest[0] == "off" else f"{mode}ing {rest[0]}"
        print(f"{mode}: {state}")


def _arguments(magic: Any, line: str) -> argparse.Namespace:
    """``line`` parsed by ``magic``'s magic_arguments parser, with shell quoting
    (``--system 'Be brief.'``); IPython's own splitter keeps the quotes."""
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"{exc} in {line!r}") from None
    namespace: argparse.Namespace = magic.parser.parse_args(argv)
    return namespace


def _parser(prog: str, arguments: list[tuple[str, ...]]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, add_help=False)
    for names in arguments:
        parser.add_argument(*names)
    return parser


def _parse(parser: argparse.ArgumentParser, rest: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(rest)
    except SystemExit:
        raise UsageError(parser.format_usage().strip()) from None


def _show_turn(chat: Any, start: int) -> Any:
    """In a kernel: show a compact widget of this turn live and return its ``LiveDisplay``;
    elsewhere (a terminal) None."""
    if _show_turn_view_absent():
        return None
    from .widgets import ConversationWidget, show_live

    return show_live(ConversationWidget(chat, start=start, compact=True))


def _show_turn_view_absent() -> bool:
    """Whether no kernel runs (a terminal): the grid then printed a progress line only."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell is None or getattr(shell, "kernel", None) is None


def _prompts(cell: str) -> list[str]:
    """A cell's prompts: blocks between lines of ``---``, or else one per non-empty line."""
    lines = cell.strip("\n").splitlines()
    if any(line.strip() == "---" for line in lines):
        blocks: list[str] = []
        current: list[str] = []
        for line in lines:
            if line.strip() == "---":
                blocks.append("\n".join(current).strip())
                current = []
            else:
                current.append(line)
        blocks.append("\n".join(current).strip())
        return [block for block in blocks if block]
    return [line.strip() for line in lines if line.strip()]


def _param_product(pairs: list[str]) -> dict[str, list[Any]]:
    """``["temperature=0,0.7", "seed=1"]`` as ``{"temperature": [0, 0.7], "seed": [1]}``."""
    params: dict[str, list[Any]] = {}
    for pair in pairs:
        key, sep, values = pair.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise UsageError(f"--param {pair!r}: write KEY=V1,V2, e.g. temperature=0,0.7")
        params[key.strip()] = [_value(v.strip()) for v in values.split(",")]
    return params


def _print_deltas(event: Any) -> None:
    """A turn streamed to a terminal: the model's text with its control characters escaped."""
    if event.type == "content.delta":
        sys.stdout.write(_inert(event.delta))
        sys.stdout.flush()
    elif event.type == "tool_call.finished":
        shown = event.error or str(event.result)
        sys.stdout.write(_inert(f"\n→ {event.name}({event.arguments}) ← {shown[:200]}") + "\n")


def _print_marks(chat: Any, start: int) -> None:
    reply = chat.messages[-1] if len(chat.messages) > start else None
    if reply is not None and reply.status != "complete":
        print(_inert(f"[{reply.status}: {reply.error}]") if reply.error else f"[{reply.status}]")


class ChatQuestion(EscapedCommand):
    """``%chat What is two plus two?`` sends the question as written.

    IPython reads a line ending in ``?`` or ``??`` as a help request for the name before it
    (``Object `two` not found.``), and its help transformer wins over the magic call on the
    same line. This transformer finds ``%chat`` lines that carry text and end in ``?`` and
    turns them into the magic call first; ``%chat?`` and ``%chat??`` alone still show help.
    Tokens, not regular expressions, find the lines, so a ``%chat`` inside a string is left
    alone.
    """

    priority = 4  # before IPython's HelpEnd (5) at the same place

    @classmethod
    def find(cls, tokens_by_line: list[list[tokenize.TokenInfo]]) -> ChatQuestion | None:
        for line in tokens_by_line:
            ix = 0
            while ix < len(line) and line[ix].type in (tokenize.INDENT, tokenize.DEDENT):
                ix += 1
            words = [t for t in line[ix:] if t.type not in _LAYOUT]
            if (
                len(words) > 3
                and words[0].string == "%"
                and words[1].string == "chat"
                and words[1].start == words[0].end
                and words[-1].string == "?"
                and any(t.string != "?" for t in words[2:])
            ):
                return cls(words[0].start)
        return None


_LAYOUT = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER)


def load(shell: Any) -> None:
    """Register the magics with ``shell`` (``%load_ext workbench``), and the transformer that
    lets ``%chat`` end in a question mark."""
    shell.register_magics(WorkbenchMagics)
    transformers = shell.input_transformer_manager.token_transformers
    if ChatQuestion not in transformers:
        transformers.insert(0, ChatQuestion)


def unload(shell: Any) -> None:
    """Remove the magics from ``shell`` (``%unload_ext workbench``)."""
    manager = shell.magics_manager
    for kind, names in (("line", ("chat", "wb")), ("cell", ("chat", "grid"))):
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("WorkbenchMagics", None)
    transformers = shell.input_transformer_manager.token_transformers
    if ChatQuestion in transformers:
        transformers.remove(ChatQuestion)
