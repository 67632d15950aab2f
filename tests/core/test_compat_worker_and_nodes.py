"""Upstream names of ``toil.worker``, ``toil.lib.threading`` (process names) and ``toil.provisioners``
(node type specs), checked by behaviour."""
import base64
import multiprocessing
import pickle

import pytest

from toil.lib.threading import (
    collect_process_name_garbage,
    destroy_all_process_names,
    get_process_name,
    process_name_exists,
)
from toil.job import JobDescription
from toil.provisioners import check_valid_node_types, parse_node_types
from toil.provisioners.abstractProvisioner import Shape
from toil.worker import StatsDict, in_contexts, nextChainable, parse_args


def test_worker_parse_args():
    args = parse_args(["count", "file:/tmp/js", "job-1", "--context", "Y3R4"])
    assert (args.jobName, args.jobStoreLocator, args.jobStoreID, args.context) == (
        "count", "file:/tmp/js", "job-1", ["Y3R4"])
    assert parse_args(["a", "b", "c"]).context == []


class Recorder:
    """A picklable context manager that records entering and leaving in a file."""

    def __init__(self, path, label):
        self.path, self.label = path, label

    def __enter__(self):
        with open(self.path, "a") as handle:
            handle.write(f"enter {self.label}\n")

    def __exit__(self, *exc):
        with open(self.path, "a") as handle:
            handle.write(f"exit {self.label}\n")


def test_in_contexts_enters_in_order_and_leaves_in_reverse(tmp_path):
    log = tmp_path / "log"
    contexts = [base64.b64encode(pickle.dumps(Recorder(str(log), label))).decode() for label in ("a", "b")]
    with in_contexts(contexts):
        with open(log, "a") as handle:
            handle.write("body\n")
    assert log.read_text().split("\n")[:-1] == ["enter a", "enter b", "body", "exit b", "exit a"]


def test_stats_dict_is_a_magic_expando():
    stats = StatsDict()
    stats.jobs = ["a"]
    stats.workers.time = 3  # MagicExpando makes missing attributes on the fly
    assert stats["jobs"] == ["a"] and stats.workers.time == 3


def test_next_chainable_follows_a_single_successor(store):
    from toil_core.common.config import Config

    first = store.create_job(JobDescription(jobName="a"))
    second = store.create_job(JobDescription(jobName="b"))
    second.body_id = "files/body-b"
    store.update_job(second)
    first.children = [second.jobStoreID]
    first.body_id = None
    config = Config()
    chained = nextChainable(first, store, config)
    assert chained is not None and chained.jobStoreID == second.jobStoreID


def _hold_name(base_dir, queue, release):
    queue.put(get_process_name(base_dir))
    release.wait(30)


def test_process_names_are_alive_while_their_owner_lives(tmp_path):
    base = str(tmp_path / "names")
    ctx = multiprocessing.get_context("fork")
    queue, release = ctx.Queue(), ctx.Event()
    owner = ctx.Process(target=_hold_name, args=(base, queue, release))
    owner.start()
    try:
        name = queue.get(timeout=30)
        assert process_name_exists(base, name)
    finally:
        release.set()
        owner.join(30)
    assert not process_name_exists(base, name)
    mine = get_process_name(base)
    collect_process_name_garbage()
    assert not (tmp_path / "names" / f"{name}.name").exists()
    assert process_name_exists(base, mine)
    destroy_all_process_names()
    assert not process_name_exists(base, mine)


@pytest.mark.parametrize("spec, parsed", [
    ("c5.4xlarge/c5a.4xlarge:0.42,t2.large", [({"c5.4xlarge", "c5a.4xlarge"}, 0.42), ({"t2.large"}, None)]),
    ("", []),
    (None, []),
])
def test_parse_node_types(spec, parsed):
    assert parse_node_types(spec) == parsed


@pytest.mark.parametrize("spec", ["t2.large:abc", "t2.large:-1", "a//b"])
def test_parse_node_types_refuses_bad_specs(spec):
    with pytest.raises(ValueError):
        parse_node_types(spec)


class ShapesOf:
    shapes = {"small": Shape(3600, 2 << 30, 2, 10 << 30, False), "small2": Shape(3600, 2 << 30, 2, 10 << 30, False),
              "big": Shape(3600, 64 << 30, 16, 100 << 30, False)}

    def getNodeShape(self, name):
        return self.shapes[name]


def test_check_valid_node_types():
    check_valid_node_types(ShapesOf(), parse_node_types("small/small2,big:0.5"))
    with pytest.raises(ValueError, match="differ"):
        check_valid_node_types(ShapesOf(), parse_node_types("small/big"))
    with pytest.raises(KeyError):
        check_valid_node_types(ShapesOf(), parse_node_types("unknown"))
