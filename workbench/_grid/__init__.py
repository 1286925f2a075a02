"""Comparison grids: prompts x models x parameter sets, run concurrently (being built)."""
