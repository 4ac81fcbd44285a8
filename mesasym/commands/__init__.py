"""Sub-commands of the ``mesasym`` CLI, one module each (see :mod:`mesasym.cli`)."""
