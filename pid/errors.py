"""Exceptions raised by the toolkit."""


class SolverError(RuntimeError):
    """An optimization solver did not return a usable optimum.

    The message names the solver and the status it reported; nothing falls back to
    another solver behind the caller's back.
    """
