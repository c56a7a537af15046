"""Use cases: one transaction each, each writing its audit entry in that transaction.

Routes and commands call these; they never touch the tables themselves.
"""
