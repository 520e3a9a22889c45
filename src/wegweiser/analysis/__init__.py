"""Analyses: pure functions over Ibis tables (table in, expression or small DataFrame out)."""
