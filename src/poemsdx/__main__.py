"""``python -m poemsdx`` runs the command-line interface."""

from .cli import main

main()
