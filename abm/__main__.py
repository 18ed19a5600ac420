"""``python -m abm ...``: the same as the ``abm`` command (see :mod:`abm.cli`)."""

import sys

from abm.cli import main

sys.exit(main())
