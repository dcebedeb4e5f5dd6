"""The pure domain of Slawatch.

Nothing in this package imports Flask, SQLAlchemy or a network client, and nothing reads the
clock: `now` is always an argument. That is what makes `slawatch replay` and backtests possible.
"""
