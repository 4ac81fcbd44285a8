"""Sub-commands of the ``mesasym`` CLI, one module each (see :mod:`mesasym.cli`).

Shared options, limits and the progress bar: :mod:`mesasym.commands.options`;
the exit-code table: :mod:`mesasym.commands.exit_codes`.
"""

#: Sub-command modules, in the order ``mesasym --help`` lists them (each has ``NAME``, ``HELP``,
#: ``add_arguments(parser)``, ``run(args)``).
COMMAND_MODULES: tuple[str, ...] = (
    "mesasym.commands.check_fixed_point",
    "mesasym.commands.derive",
    "mesasym.commands.dynamics",
    "mesasym.commands.capability",
    "mesasym.commands.explore",
    "mesasym.commands.train",
    "mesasym.commands.probe",
    "mesasym.commands.reproduce",
    "mesasym.commands.property_test",
    "mesasym.commands.sweep",
)
