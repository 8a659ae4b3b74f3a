"""The one error type of configuration handling."""

from collections.abc import Iterable


class ConfigError(ValueError):
    """An invalid configuration. `errors` holds one line per problem, each starting with the key
    path of the bad value (e.g. `part1.train.pert.std: got -1.0; expected a number >= 0`)."""

    def __init__(self, errors: Iterable[str]):
        # Keep the first occurrence of each message: one typo repeated over 48 spread points
        # is one problem.
        self.errors: list[str] = list(dict.fromkeys(errors))
        if len(self.errors) == 1:
            message = f"invalid configuration: {self.errors[0]}"
        else:
            lines = "\n".join(f"  - {e}" for e in self.errors)
            message = f"invalid configuration ({len(self.errors)} problems):\n{lines}"
        super().__init__(message)
