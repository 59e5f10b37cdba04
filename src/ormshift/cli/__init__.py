"""The command line: one Typer sub-app or command per module; parsing and printing only."""
