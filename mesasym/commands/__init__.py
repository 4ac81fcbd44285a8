"""Sub-commands of the ``mesasym`` CLI, one module each (see :mod:`mesasym.cli`).

Shared options, limits and the progress bar: :mod:`mesasym.commands.options`;
the exit-code table: :mod:`mesasym.commands.exit_codes`.
"""
