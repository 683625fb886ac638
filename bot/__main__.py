"""``python -m bot`` runs the ``review-arena`` command line."""

from bot.cli import main

main()
