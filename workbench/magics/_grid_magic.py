"""``%%grid``: a comparison grid of the cell's prompts, run and shown live."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ._arguments import param_product, response_format
from ._output import in_terminal, usage_error
from ._template import fill

if TYPE_CHECKING:
    from ._workbench_magics import WorkbenchMagics

__all__ = ["named_graders", "prompts", "run_grid"]


def run_grid(magics: WorkbenchMagics, args: argparse.Namespace, cell: str) -> None:
    """Make the ``Grid`` of the cell's prompts (into ``args.name``), run it, and put its
    ``GridResult`` in ``args.out``; in a terminal, print its table at the end."""
    from ..grid import Grid

    namespace = magics.namespace
    if args.batch and args.concurrency is not None:
        raise UsageError(
            "--batch with --concurrency: the provider runs a batch's requests, not this kernel"
        )
    if args.poll is not None and not args.batch:
        raise UsageError("--poll is the wait between polls of a batch: use it with --batch")
    for variable in (args.name, args.out):
        if not variable.isidentifier():
            raise UsageError(f"{variable!r} is not a variable name")
    texts = prompts(cell)
    rows = None
    if args.vars:
        if args.vars not in namespace:
            raise UsageError(f"--vars {args.vars}: no such variable in the notebook")
        rows = namespace[args.vars]
    else:
        texts = [fill(text, namespace) for text in texts]
    if not texts:
        raise UsageError("no prompts: write one per line (or separate them with ---)")
    params = param_product(args.params or [])
    format_: Any = response_format(args.format, namespace) if args.format else None
    graders = named_graders(args.graders, namespace) if args.graders else None
    try:
        grid = Grid(
            texts,
            models=args.models or None,
            params=params or None,
            apis=[a.strip() for a in args.apis.split(",")] if args.apis else None,
            system=fill(args.system, namespace) if args.system else None,
            vars=rows,
            repeats=args.repeats,
            response_format=format_,
            concurrency=8 if args.concurrency is None else args.concurrency,
            client=magics.client(),
            graders=graders,
            judge_repeats=args.judge_repeats,
        )
    except Exception as exc:
        raise usage_error(exc) from None
    namespace[args.name] = grid
    magics.last_grid = grid
    try:
        result = grid.run(batch=True, poll_interval=args.poll) if args.batch else grid.run()
    except Exception as exc:
        raise usage_error(exc) from None
    namespace[args.out] = result
    if in_terminal():
        from ..widgets import grid_text

        print(grid_text(grid))


def prompts(cell: str) -> list[str]:
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


def named_graders(names: str, namespace: dict[str, Any]) -> list[Any]:
    """The graders of ``--graders VAR[,VAR]``: each variable a grader (an object, an OpenAI
    grader dict, a callable) or a list of them, in order; a name not in the notebook is a
    ``UsageError``."""
    graders: list[Any] = []
    for name in (part.strip() for part in names.split(",")):
        if name not in namespace:
            raise UsageError(f"--graders {name}: no such variable in the notebook")
        value = namespace[name]
        if isinstance(value, (list, tuple)):
            graders.extend(value)
        else:
            graders.append(value)
    return graders
