"""`python -m dsr` is the `dsr` command."""

import sys

from dsr.cli import main

sys.exit(main())
