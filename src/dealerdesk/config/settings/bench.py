"""Benchmarks: development settings without DEBUG (no query log, no debug pages)."""

from .dev import *  # noqa: F403

DEBUG = False
