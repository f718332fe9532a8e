"""Exceptions mean "could not run"; problems in a return are findings, never exceptions."""


class SwtoolError(Exception):
    """Something stopped a command: the CLI prints the message and exits 2."""


class RefDataError(SwtoolError):
    """A reference-data file is missing a column or holds a value of the wrong kind."""


class UsageError(SwtoolError):
    """The command was asked for something it cannot do (unknown quarter, contract or setting)."""


class RegisterError(SwtoolError):
    """The contract register cannot be read or does not hold what is needed."""
