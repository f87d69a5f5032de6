"""One module per ``rnnviz`` sub-command: ``add_arguments(parser)`` and ``run(args)``."""
