"""``python -m isocourse`` runs the command line."""

from isocourse.cli import main

main()
