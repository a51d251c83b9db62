"""``python -m camatlas`` runs the command line."""

from camatlas.cli import main

main()
