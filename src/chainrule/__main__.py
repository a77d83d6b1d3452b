import sys

try:
    from chainrule.cli import main
except KeyboardInterrupt:  # Ctrl-C before the command line's own handler is in place
    sys.stderr.write("chainrule: interrupted while starting\n")
    sys.exit(130)

sys.exit(main())
