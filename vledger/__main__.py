"""`python -m vledger`: the same program as the `vledger` command."""

import sys

from vledger.tui.cli.main import main

sys.exit(main())
