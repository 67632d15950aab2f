"""Session fixtures of toil-k8s's tests: one real single-node Kubernetes cluster per test run
(:mod:`k8s_cluster`), with the appliance image built from this checkout (:mod:`appliance`)."""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import appliance  # noqa: E402
import k8s_cluster  # noqa: E402
from k8s_cluster import Cluster  # noqa: E402

_STATE: Dict[str, Any] = {}

#: pytest-timeout counts a test's fixtures: the first test that needs the cluster also pays for
#: building it (up to ~45 min on a cold, busy 2-core machine), so it gets this much instead.
SET_UP_TIMEOUT = 3600


def pytest_collection_modifyitems(config: Any, items: List[Any]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents and "k8s_cluster_session" in getattr(
                item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(SET_UP_TIMEOUT))
            break


@pytest.fixture(scope="session")
def k8s_cluster_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Build (once per machine), prepare and start the cluster; build and import the appliance;
    tear everything down at the end of the session."""
    if "failed" in _STATE:
        pytest.fail(_STATE["failed"], pytrace=False)
    existing = k8s_cluster.existing_cluster()
    if existing is not None:  # a developer's cluster, kept up between test runs
        yield existing
        return
    reason = k8s_cluster.impossible()
    if reason:
        pytest.skip(f"a real Kubernetes cluster cannot run here: {reason}")
    home = k8s_cluster.cache_home()
    logs = tmp_path_factory.mktemp("k8s-logs")
    log = logs / "cluster.log"
    lock = k8s_cluster.ClusterLock(home)
    lock.acquire()
    timings: Dict[str, float] = {}
    started = time.monotonic()
    # the appliance's pip install runs while the cluster is built and started
    staged: List[Any] = []
    work = tmp_path_factory.mktemp("appliance")

    def stage() -> None:
        try:
            t0 = time.monotonic()
            staged.append(appliance.stage_layer(work, logs / "appliance.log"))
            timings["appliance layer"] = time.monotonic() - t0
        except BaseException as exc:  # noqa: BLE001 - reported below
            staged.append(exc)

    stager = threading.Thread(target=stage, name="appliance-stage", daemon=True)
    stager.start()
    up = False
    try:
        kubeconfig = k8s_cluster.bring_up(home, log, timings)
        up = True
        stager.join(timeout=900)
        if not staged or isinstance(staged[0], BaseException):
            raise RuntimeError(f"building the appliance layer failed: {staged[0] if staged else 'timed out'} "
                               f"(log: {logs / 'appliance.log'})")
        t0 = time.monotonic()
        tarball, tag = appliance.assemble(home / "images" / "debian-py.tar", work, staged[0])
        k8s_cluster.import_image(home, tarball, log)
        timings["appliance image + import"] = time.monotonic() - t0
        tarball.unlink()
        cluster = Cluster(home, kubeconfig, tag)
        timings["total set-up"] = time.monotonic() - started
        sys.stderr.write("\nKubernetes test cluster ready: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
                         + f" (log: {log})\n")
    except BaseException as exc:
        _STATE["failed"] = f"setting up the Kubernetes test cluster failed: {exc}"
        if up:
            try:
                k8s_cluster.tear_down(home, log)
            except Exception:  # noqa: BLE001 - the first error is the one to show
                pass
        lock.release()
        raise
    try:
        yield cluster
    finally:
        try:
            k8s_cluster.tear_down(home, log)
        finally:
            lock.release()


@pytest.fixture(scope="session")
def k8s_shared(k8s_cluster_session: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host directory every test pod mounts at the same path (``--kubernetesHostPath``)."""
    return tmp_path_factory.mktemp("k8s-shared")


@pytest.fixture
def k8s(k8s_cluster_session: Cluster, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    """The cluster, with KUBECONFIG and TOIL_APPLIANCE_SELF set for this test."""
    for name, value in k8s_cluster_session.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TOIL_KUBERNETES_HOST_PATH", raising=False)
    return k8s_cluster_session
