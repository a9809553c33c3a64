"""What a test reads of its own database session."""

from django.db import connections


def prepared_statements(marker):
    """The statements this session of the default connection holds prepared whose text names ``marker``."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
        return [statement for (statement,) in cursor.fetchall()]
