"""Subcommands of the ``chainrule`` command line, one module each (see ``chainrule.cli``)."""
