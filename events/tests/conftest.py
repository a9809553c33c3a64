"""The browser fixtures of tickets/tests/conftest.py, for the browser tests here.

They belong in the root conftest.py (asked for); until they move, importing
them makes them (and the hook that runs browser tests last) apply here too.
"""

from tickets.tests.conftest import (  # noqa: F401
    browser_type_launch_args,
    playwright,
    pytest_collection_modifyitems,
    seeded_matrix,
    signed_in,
)
