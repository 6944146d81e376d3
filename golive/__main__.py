"""`python -m golive …` runs the same commands as the `golive` script."""

from golive.cli import main

main()
