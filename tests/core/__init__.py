"""Tests of the pure core, one module per ``bot/core`` module."""
