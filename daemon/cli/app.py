"""The `maid` Typer application and the output helpers every subcommand shares.

Subcommand modules register on this app at import; they import engine code inside their
functions so that `maid --help` stays fast (torch alone takes seconds to import).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    name="maid",
    help="maid, the mapper's AI daemon: an osu! editor companion.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


@app.callback()
def _root() -> None:
    """maid, the mapper's AI daemon: an osu! editor companion."""


def print_json(data: Any) -> None:
    """Machine-readable output for `--json`: one JSON document on stdout, nothing else."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error to stderr and return the Exit to raise. The message is printed literally: it often
    holds a path or a value with brackets (`[Normal].osu`), which rich would read as markup."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def user_settings(paths: Any, overrides: dict[str, Any] | None = None) -> Any:
    """daemon.config.Settings from the user's config file; a broken file is a clear error."""
    from daemon.config import ConfigError, load_settings

    try:
        return load_settings(paths, overrides)
    except ConfigError as exc:
        raise fail(str(exc)) from exc


def user_writeback() -> Any:
    """The daemon's write-back (daemon.app.user_writeback) for commands that write a map in place."""
    from daemon.app import user_writeback as writeback
    from daemon.config import user_paths

    paths = user_paths()
    return writeback(paths, user_settings(paths))
