"""Reject UPDATE and DELETE on audit events, and DELETE of the chain head, in the database.

PostgreSQL and SQLite get triggers. The ORM already refuses them; this stops raw SQL, a careless script or a compromised
application role too. Only a role that owns the table can drop or disable the trigger,
and verify_audit then still shows any change made behind it. TRUNCATE is left alone:
Django's test flush uses it, and the chain head check catches a truncated trail.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION requests_app_audit_reject_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER requests_app_auditevent_append_only
    BEFORE UPDATE OR DELETE ON requests_app_auditevent
    FOR EACH ROW EXECUTE FUNCTION requests_app_audit_reject_change();

CREATE TRIGGER requests_app_auditchainhead_no_delete
    BEFORE DELETE ON requests_app_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION requests_app_audit_reject_change();
"""

SQLITE_CREATE = [
    """CREATE TRIGGER requests_app_auditevent_no_update BEFORE UPDATE ON requests_app_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER requests_app_auditevent_no_delete BEFORE DELETE ON requests_app_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE is not allowed'); END""",
    """CREATE TRIGGER requests_app_auditchainhead_no_delete BEFORE DELETE ON requests_app_auditchainhead
       BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS requests_app_auditevent_no_update",
    "DROP TRIGGER IF EXISTS requests_app_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS requests_app_auditchainhead_no_delete",
]

DROP = """
DROP TRIGGER IF EXISTS requests_app_auditchainhead_no_delete ON requests_app_auditchainhead;
DROP TRIGGER IF EXISTS requests_app_auditevent_append_only ON requests_app_auditevent;
DROP FUNCTION IF EXISTS requests_app_audit_reject_change();
"""


def _triggers(postgresql_sql, sqlite_statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(postgresql_sql, params=None)
        elif vendor == "sqlite":
            for statement in sqlite_statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0001_initial")]

    operations = [migrations.RunPython(_triggers(CREATE, SQLITE_CREATE), _triggers(DROP, SQLITE_DROP), elidable=False)]
