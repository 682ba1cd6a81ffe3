"""Rule-based checks (ranking-criteria style): run them with `run_checks` or `check_path`.

Each check is a small function in the module of its category, registered with an id, title, modes, scope,
severity and category (`engine.checks.registry`). Importing this package registers all of them. Checks only
read: they never write a file, and a check that fails on a strange map becomes an ERROR finding naming it
(`engine.checks.runner`) instead of an exception.

    from engine.checks import apply_fixes, check_path, run_checks
    findings = run_checks(beatmap)                       # one difficulty (or a list: a mapset)
    findings = check_path(Path("Songs/123 Artist - Title"))
    fixed = apply_fixes(beatmap, [f for f in findings if f.fix and f.category == "Timing"])
"""

from engine.checks import (  # noqa: F401  (importing a module registers its checks)
    catch,
    colours,
    events,
    files,
    hitobjects,
    hitsounds,
    mania,
    mapset,
    metadata,
    settings,
    skinning,
    slider_shapes,
    spacing,
    storyboard,
    taiko,
    timing,
    video,
)
from engine.checks.fixes import FixConflict, apply_fixes
from engine.checks.registry import CHECKS, CheckInfo, Scope
from engine.checks.runner import check_path, run_checks

__all__ = ["CHECKS", "CheckInfo", "FixConflict", "Scope", "apply_fixes", "check_path", "run_checks"]
