"""The clinical rules: pure functions of (record, knowledge, as_of).

One module per concern, each returning :class:`~isocourse.assessment.Findings`.
Nothing here reads the clock, the environment, a file or a database.
"""

from isocourse.rules.assess import assess

__all__ = ["assess"]
