"""`python -m cognate` runs the command line."""

from cognate.cli import main

main()
