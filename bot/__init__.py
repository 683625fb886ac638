"""Review Arena: several language models review each pull request; maintainers' reactions decide who wins."""

__version__ = "0.1.0"
