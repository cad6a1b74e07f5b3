"""The partition check of langspec.core.cluster, with sinfo replaced by canned output."""

from __future__ import annotations

import subprocess

import pytest

from langspec.core.cluster import check_partition, check_partitions, partitions, requested
from langspec.core.errors import LangspecError


def _sinfo(listing: str, calls: list | None = None):
    def run(command):
        if calls is not None:
            calls.append(command)
        return listing

    return run


def test_partitions_are_the_names_sinfo_lists_without_the_default_mark():
    assert partitions(run=_sinfo("gpu\ndebug\ngpu\n")) == ["debug", "gpu"]


def test_partitions_of_another_cluster_skip_sinfos_cluster_header():
    calls = []
    assert partitions("other", run=_sinfo("CLUSTER: other\nlong\n", calls)) == ["long"]
    assert calls == [["sinfo", "--noheader", "--format=%R", "--clusters=other"]]


def test_a_listed_partition_passes():
    check_partition("gpu", run=_sinfo("debug\ngpu\n"))


def test_a_missing_partition_is_one_line_naming_it_and_the_clusters_partitions():
    with pytest.raises(LangspecError) as error:
        check_partition("nosuch", run=_sinfo("debug\ngpu\n"))
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("SLURM partition 'nosuch' does not exist on this SLURM cluster (sinfo lists: debug, gpu)")


def test_every_requested_partition_is_checked_per_cluster():
    listings = {None: "debug\n", "other": "CLUSTER: other\nlong\n"}

    def run(command):
        cluster = next((c.split("=", 1)[1] for c in command if c.startswith("--clusters=")), None)
        return listings[cluster]

    check_partitions({("debug", None), ("long", "other")}, run=run)
    with pytest.raises(LangspecError, match="partition 'debug' does not exist on SLURM cluster 'other' \\(sinfo lists: long\\)"):
        check_partitions({("debug", None), ("debug", "other")}, run=run)


def test_without_sinfo_nothing_is_checked():
    def failing(command):
        raise subprocess.CalledProcessError(1, command)

    check_partition("anything", run=failing)


def test_a_comma_separated_value_names_several_partitions():
    assert requested("gpu, debug") == ["gpu", "debug"]
    assert requested(None) == []
    assert requested("") == []
