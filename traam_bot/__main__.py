"""`python -m traam_bot` is the `traam-bot` command."""

import sys

from traam_bot.cli import main

sys.exit(main())
