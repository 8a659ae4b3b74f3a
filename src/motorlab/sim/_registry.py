"""A registry of small final classes by name: the one place a configuration choice list comes from.

A `Registry` maps the names a config may give (`"curl"`, `"pai-asf"`) to the classes that
implement them. The config schema takes its choice lists from registries, so adding a class
here is all it takes for a new name to validate.
"""

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError, ValueError):
    """A name that is not in a registry. Both a `KeyError` (mapping lookups) and a `ValueError`
    (a bad argument value); its message names the registry, the bad name and the valid ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class Registry(Mapping[str, T], Generic[T]):
    """An immutable, ordered mapping of names to classes.

    Arguments:
        what: what a name names, for error messages (e.g. `"field type"`).
        entries: `{name: class}`, in the order the names are listed.
    """

    def __init__(self, what: str, entries: Mapping[str, T]):
        if not entries:
            raise ValueError(f"a {what} registry needs at least one entry")
        self.what = what
        self._entries = dict(entries)

    @property
    def names(self) -> tuple[str, ...]:
        """The registered names, in order."""
        return tuple(self._entries)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(f"unknown {self.what} {name!r}; expected one of "
                                   f"{', '.join(repr(n) for n in self._entries)}") from None

    def __contains__(self, name: object) -> bool:
        try:
            return name in self._entries
        except TypeError:  # an unhashable value is no name
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def index(self, name: str) -> int:
        """Position of `name` in the list (for categorical codes)."""
        self[name]  # raises the registry's error for an unknown name
        return self.names.index(name)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}, {list(self._entries)!r})"
