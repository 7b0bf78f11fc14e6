"""``python -m textrnn``: the ``textrnn`` command."""

from textrnn.cli import main

main()
