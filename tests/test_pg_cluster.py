"""The throwaway-cluster helper itself: init, start, query, a streaming replica, crash and recovery."""

from __future__ import annotations

import pytest

from tests.pg_cluster import replicated_pair, running_cluster

pytestmark = pytest.mark.postgres


def test_cluster_starts_answers_and_survives_a_crash() -> None:
    with running_cluster() as cluster:
        url = cluster.create_database("scratch")
        assert url.endswith(f"127.0.0.1:{cluster.port}/scratch")
        cluster.query("CREATE TABLE acknowledged (id int PRIMARY KEY)", "scratch")
        cluster.query("INSERT INTO acknowledged VALUES (1), (2)", "scratch")
        cluster.stop("immediate")  # a crash: the committed rows come back through WAL recovery
        cluster.start()
        assert cluster.query("SELECT count(*) FROM acknowledged", "scratch") == [(2,)]
        assert cluster.query("SHOW fsync") == [("on",)]
        cluster.stop()
    assert not cluster.base_dir.exists()


def test_replica_streams_and_can_be_promoted() -> None:
    with replicated_pair(databases=["clinic"]) as (primary, replica):
        primary.query("CREATE TABLE visit (id int)", "clinic")
        primary.query("INSERT INTO visit VALUES (7)", "clinic")
        replica.wait_replayed(primary.wal_lsn())
        assert replica.query("SELECT id FROM visit", "clinic") == [(7,)]
        assert replica.query("SELECT pg_is_in_recovery()") == [(True,)]
        primary.stop("immediate")
        replica.promote()
        replica.query("INSERT INTO visit VALUES (8)", "clinic")
        assert replica.query("SELECT count(*) FROM visit", "clinic") == [(2,)]
