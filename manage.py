#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventsite.settings")
    # manage.py is the developer's tool: development settings unless told
    # otherwise. Production sets DJANGO_DEBUG=0 in its environment file, which
    # deploy/oe reads; daphne (eventsite.asgi) has no such default.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
