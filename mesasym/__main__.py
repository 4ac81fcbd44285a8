"""``python -m mesasym`` runs the command-line interface."""

import sys

from mesasym.cli import main

sys.exit(main())
