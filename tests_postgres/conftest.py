"""PostgreSQL fixtures: a fresh database per test on the server named by the environment.

``make test-postgres`` runs these tests; ``.ci/run`` starts a throwaway server for them. Without
``$ZYKLUS_TEST_POSTGRES_URL`` they fail with a clear message instead of being skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import workspace as workspace
from tests.conftest import zyklus as zyklus

ENV = "ZYKLUS_TEST_POSTGRES_URL"


@pytest.fixture
def pg_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = os.environ.get(ENV)
    if not server:
        pytest.fail(
            f"${ENV} is not set: run `make test-postgres` with a PostgreSQL server, "
            "e.g. via `bash .ci/postgres.sh`"
        )
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"zyklus_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("ZYKLUS_DATABASE_URL", url)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
