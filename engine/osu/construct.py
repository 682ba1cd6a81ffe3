"""Fast positional constructors for the frozen slots dataclasses that parsing creates by the hundred thousand.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`, which costs about
three times what filling the slots directly costs; the constructor built here does the latter. It takes
every field, in declaration order (base-class fields first), runs no `__post_init__` and checks nothing:
use it only where the values were just parsed, and the normal constructor everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def positional_constructor(cls: type[T]) -> Callable[..., T]:
    setters = tuple(getattr(cls, field.name).__set__ for field in fields(cls))  # type: ignore[arg-type]
    new = object.__new__

    def construct(*values: Any) -> T:
        obj = new(cls)
        for setter, value in zip(setters, values, strict=True):
            setter(obj, value)
        return obj

    construct.__name__ = f"construct_{cls.__name__}"
    return construct
