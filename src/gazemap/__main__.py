"""``python -m gazemap`` runs the CLI."""

import sys

from gazemap.cli import main

sys.exit(main())
