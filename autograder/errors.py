"""The error that stops a grading command, in a module of its own: a batch's parent process, which
only hands out submissions and writes results, names it without importing torch or pytest."""


class GradingError(Exception):
    """The tests themselves could not run (an instructor's problem, not the student's)."""
