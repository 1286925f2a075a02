"""``WorkbenchMagics``: the magics' options, and the conversations they make in the notebook.

Each magic here declares its options and hands the parsed line to its module
(``_chat_magic``, ``_grid_magic``, ``_wb_commands``); what they share is this object: the
notebook's namespace, the client the magics' conversations use, the variables the magics made,
and the last grid.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    cell_magic,
    line_cell_magic,
    line_magic,
    magics_class,
    no_var_expand,
)
from IPython.core.magic_arguments import argument, magic_arguments

from ._arguments import parse_line
from ._chat_magic import chat_turn
from ._grid_magic import run_grid
from ._output import usage_error
from ._wb_commands import COMMANDS, HELP

if TYPE_CHECKING:
    from ..client._client import Client
    from ..conversation import Conversation

__all__ = ["WorkbenchMagics"]


@magics_class
class WorkbenchMagics(Magics):
    """``%%chat``, ``%chat``, ``%%grid`` and ``%wb``; see each magic's ``?`` for its options."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self._client: Client | None = None
        self.made: set[str] = set()
        """The variables that hold a conversation the magics made."""
        self.last_grid: Any = None
        """The last ``%%grid``'s ``Grid`` (``%wb grid`` reads its result)."""

    # -- conversations in the namespace --------------------------------------------------------

    @property
    def namespace(self) -> dict[str, Any]:
        """The notebook's variables."""
        namespace: dict[str, Any] = self.shell.user_ns  # type: ignore[union-attr]
        return namespace

    def client(self) -> Client:
        """The client the magics' conversations use (``Client()`` until ``%wb record/replay``)."""
        if self._client is None:
            from ..client._client import Client

            self._client = Client()
        return self._client

    def use_client(self, client: Client) -> None:
        """Use ``client`` from now on, in the conversations the magics made too."""
        self._client = client
        for name in self.made:
            chat = self.namespace.get(name)
            if chat is not None and hasattr(chat, "client"):
                chat.client = client

    def conversation(self, name: str, *, create: bool = True, **options: Any) -> Conversation:
        """The ``Conversation`` in variable ``name`` (made there on first use)."""
        from ..conversation import Conversation

        if not name.isidentifier():
            raise UsageError(f"{name!r} is not a variable name")
        existing = self.namespace.get(name)
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
            raise usage_error(exc) from None
        self.namespace[name] = chat
        self.made.add(name)
        return chat

    # -- the magics ----------------------------------------------------------------------------

    @no_var_expand
    @magic_arguments()
    @argument("name", nargs="?", default="chat", help="the conversation's variable (chat)")
    @argument("-m", "--model", help="the model for this turn (and a new conversation's)")
    @argument("--system", help="set the conversation's system prompt")
    @argument("--temperature", type=float, help="the temperature for this turn")
    @argument("--reasoning-effort", dest="reasoning_effort", help="for this turn")
    @argument(
        "--format",
        dest="format",
        help="json (a JSON object), or the name of a pydantic model or JSON schema variable",
    )
    @argument(
        "--api",
        help="chat, responses or auto: the protocol of this turn (and a new conversation's)",
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
            chat_turn(self, parse_line(self.chat, ""), line)
        else:
            chat_turn(self, parse_line(self.chat, line), cell)

    @no_var_expand
    @magic_arguments()
    @argument("command", choices=list(COMMANDS), help=HELP)
    @argument("args", nargs=argparse.REMAINDER, help="the command's arguments")
    @line_magic
    def wb(self, line: str) -> None:
        """workbench's commands: see ``%wb?`` for the list."""
        args = parse_line(self.wb, line)
        COMMANDS[args.command](self, list(args.args))

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
    @argument(
        "--api",
        dest="apis",
        metavar="API[,API]",
        help="the protocols to compare: chat, responses, auto, or a comma list (chat,responses)",
    )
    @argument("--vars", help="a DataFrame or list of dicts whose rows fill {name} fields")
    @argument("--system", help="a system prompt for every cell")
    @argument("--repeats", type=int, default=1, help="how many times each cell is sent")
    @argument("--concurrency", type=int, help="requests in flight at once (8)")
    @argument(
        "--batch",
        action="store_true",
        help="run through the Batch API (half price, within 24 hours); re-running the cell"
        " picks up its batches",
    )
    @argument(
        "--poll",
        type=float,
        metavar="SECONDS",
        help="with --batch: the first wait between polls (doubling up to 60 times it)",
    )
    @argument("--format", dest="format", help="json, or a pydantic model or schema variable")
    @argument(
        "--graders",
        metavar="VAR[,VAR]",
        help="a variable holding a grader or a list of graders (or a comma list of them)",
    )
    @argument(
        "--judge-repeats",
        dest="judge_repeats",
        type=int,
        default=1,
        help="how many times each model grader asks its judge per cell (1)",
    )
    @argument("-o", "--out", default="grid_result", help="the variable for the result")
    @cell_magic
    def grid(self, line: str, cell: str) -> None:
        """Run a comparison grid: the cell's prompts x models x parameter sets, shown live.

        One prompt per line, or prompts separated by lines of ``---``. With ``--vars``, each
        prompt is a template filled from each row; without, ``{name}`` comes from the notebook.
        ``--graders VAR`` grades each cell with the grader or list of graders in VAR (see
        ``Grid(graders=...)``), ``--judge-repeats N`` asks each judge N times.
        ``--batch`` runs it through the Batch API (``grid.run(batch=True)``): running the cell
        again, after a kernel restart too, picks up the same batches instead of submitting.
        The ``Grid`` goes in NAME (``grid``), its ``GridResult`` in ``--out`` (``grid_result``);
        ``%wb grid VAR`` puts the result's DataFrame in VAR.
        """
        run_grid(self, parse_line(self.grid, line), cell)
