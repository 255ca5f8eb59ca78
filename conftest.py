"""Shared pytest setup: headless matplotlib everywhere (tests, doctests, lens tests)."""

import matplotlib

matplotlib.use("Agg")
