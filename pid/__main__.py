"""``python -m pid`` runs the ``pid`` command."""

import sys

from pid.cli import main

sys.exit(main())
