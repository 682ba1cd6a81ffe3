"""Fast positional constructors for the frozen slots dataclasses that parsing creates by the hundred thousand.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`, which costs about
three times what filling the slots directly costs; the constructor built here does the latter, one slot
setter call per field written out (generated, as dataclasses generates `__init__`: a loop over the setters
costs twice as much). It takes every field, in declaration order (base-class fields first), runs no
`__post_init__` and checks nothing: use it only where the values were just parsed, and the normal
constructor everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def positional_constructor(cls: type[T]) -> Callable[..., T]:
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    scope.update((f"_set_{name}", getattr(cls, name).__set__) for name in names)
    body = "".join(f"    _set_{name}(_obj, {name})\n" for name in names)
    source = f"def construct_{cls.__name__}({', '.join(names)}):\n    _obj = _new(_cls)\n{body}    return _obj\n"
    exec(source, scope)  # noqa: S102 (source built from the dataclass's own field names)
    return scope[f"construct_{cls.__name__}"]  # type: ignore[no-any-return]
