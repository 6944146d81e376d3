#!/usr/bin/env python
"""Django's command-line utility, with golive's settings (same as the `golive` command)."""

from golive.cli import main

if __name__ == "__main__":
    main()
