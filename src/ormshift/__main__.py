"""``python -m ormshift`` runs the command line."""

from ormshift.cli.main import main

main()
