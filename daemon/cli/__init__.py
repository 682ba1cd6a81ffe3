"""The `maid` command line. Each module below registers its subcommands on `app`."""

from daemon.cli.app import app
from daemon.cli import osu as _osu  # noqa: F401  (registers info, roundtrip)
from daemon.cli import watch as _watch  # noqa: F401  (registers watch)


def main() -> None:
    app()
