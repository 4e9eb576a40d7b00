"""`python -m checker` runs the `pagecheck` command."""

from .cli import main

raise SystemExit(main())
