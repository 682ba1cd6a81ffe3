"""Fast constructors for the frozen slots dataclasses that parsing creates: hit objects and timing points by the
hundred thousand, a header view per section and map.

A frozen dataclass's generated `__init__` sets each field through `object.__setattr__`, which costs several
times what a plain attribute store costs. The constructor built here fills the slots of a twin class
instead: the same base and the same `__slots__` (so the same memory layout) but ordinary attribute
stores, which the interpreter specialises to one slot write each. It then sets the new object's `__class__`
to the frozen class, which Python allows between classes of identical layout; the object is from then on
an ordinary instance of the frozen class (equality, hashing, repr, `dataclasses.replace`, immutability).
Measured on this machine: 128 ns for a Circle (7 fields) against 394 ns with a slot setter call per field,
182 ns against 636 ns for a Slider (13 fields); [General] (21 fields, given by name) 0.5 µs against 2 µs.

The constructor takes the fields in declaration order (base-class fields first), positionally or by name;
a trailing run of fields with plain defaults may be left out. It runs no `__post_init__` and checks
nothing: use it only where the values were just parsed, and the normal constructor everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    found = fields(cls)  # type: ignore[arg-type]
    names = [field.name for field in found]
    # Both methods must be the plain ones for the stores to be specialised (one frozen method is enough to
    # route every store through Python).
    # `object.__init__` makes `_twin()` allocate without a Python call (faster than `object.__new__(_twin)`).
    twin = type(f"_Building{cls.__name__}", (cls.__base__,),
                {"__slots__": cls.__dict__.get("__slots__", ()), "__setattr__": object.__setattr__,
                 "__delattr__": object.__delattr__, "__init__": object.__init__})
    scope: dict[str, Any] = {"_twin": twin, "_cls": cls, "_defaults": {}}
    parameters = list(names)
    for position in reversed(range(len(found))):  # the trailing run of plain defaults
        if found[position].default is MISSING:
            break
        scope["_defaults"][names[position]] = found[position].default
        parameters[position] = f"{names[position]}=_defaults[{names[position]!r}]"
    body = "".join(f"    _obj.{name} = {name}\n" for name in names)
    source = (f"def construct_{cls.__name__}({', '.join(parameters)}):\n    _obj = _twin()\n{body}"
              f"    _obj.__class__ = _cls\n    return _obj\n")
    exec(source, scope)  # noqa: S102 (source built from the dataclass's own field names)
    return scope[f"construct_{cls.__name__}"]  # type: ignore[no-any-return]
