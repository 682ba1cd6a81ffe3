"""The `maid` command line. Each module below registers its subcommands on `app`."""

from daemon.cli.app import app
from daemon.cli import osu as _osu  # noqa: F401  (registers info, roundtrip)
from daemon.cli import watch as _watch  # noqa: F401  (registers watch)
from daemon.cli import model as _model  # noqa: F401  (registers model list, pull, info)
from daemon.cli import daemon as _daemon  # noqa: F401  (registers start, stop, status, token, api, backups)
from daemon.cli import check as _check  # noqa: F401  (registers check, fix, checks)
from daemon.cli import audio as _audio  # noqa: F401  (registers audio, demo)
from daemon.cli import mod as _mod  # noqa: F401  (registers mod)
from daemon.cli import tokens as _tokens  # noqa: F401  (registers tokens)

from daemon.cli import generate as _generate  # noqa: F401  (registers generate, remap, gd, hitsound, timing)
from daemon.cli import doctor as _doctor  # noqa: F401  (registers doctor)
from daemon.cli import bookmarks as _bookmarks  # noqa: F401  (registers bookmarks)
from daemon.cli import pause as _pause  # noqa: F401  (registers pause, resume)
from daemon.cli import config as _config  # noqa: F401  (registers config show, get, set, path)

def main() -> None:
    app()
