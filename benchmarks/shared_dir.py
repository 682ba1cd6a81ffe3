"""Where the benchmark scripts find ../shared, read the way tests/conftest.py reads it.

MAID_SHARED_DIR moves the whole shared folder (a copy carried to another machine, say) and MAID_GOLDEN_DIR
the golden fixtures alone; by default both sit beside the repository. Nothing here checks that they exist.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("MAID_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
GOLDEN = Path(os.environ.get("MAID_GOLDEN_DIR", SHARED / "fixtures" / "reference"))
