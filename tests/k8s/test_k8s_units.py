"""toil-k8s's pure parts, without a cluster: Job manifests, pod states, the executor, settings."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from types import SimpleNamespace as NS
from typing import Any

import pytest
from toil_k8s import executor
from toil_k8s.manifests import MEMORY_HEADROOM, PodTemplate, job_manifest, job_name, sanitise_owner
from toil_k8s.pod_state import Phase, is_stuck, view_pod
from toil_k8s.settings import environment_knobs

TEMPLATE = PodTemplate(image="localhost/toil-appliance:abc", run_id="0123456789", owner="alice")


def manifest(**kwargs: Any) -> Any:
    args = dict(args=["_toil_contained_executor", "--shell", "true"], environment={"A": "1"}, cores=1.5,
                memory=2**30, disk=2**30)
    args.update(kwargs)
    return job_manifest(TEMPLATE, 7, **args)


def test_owner_is_sanitised() -> None:
    assert sanitise_owner("Alice.Smith@EXAMPLE") == "alice-smith-example"
    assert sanitise_owner("___") == "toil"
    assert len(sanitise_owner("x" * 80)) == 20


def test_job_name_from_owner_run_and_number() -> None:
    assert job_name("alice", "0123456789", 7) == "alice-toil-0123456789-7"
    assert manifest()["metadata"]["name"] == "alice-toil-0123456789-7"


def test_job_never_retried_by_kubernetes_and_expires() -> None:
    spec = manifest()["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["ttlSecondsAfterFinished"] > 0
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["template"]["metadata"]["labels"]["toil_run"] == "0123456789"


def test_requests_equal_limits_with_headroom() -> None:
    resources = manifest()["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"] == resources["limits"]
    assert resources["requests"]["cpu"] == "1500m"
    assert int(resources["requests"]["memory"]) == 2**30 + MEMORY_HEADROOM
    assert int(resources["requests"]["ephemeral-storage"]) > 2**30


def test_gpus_and_model_affinity() -> None:
    pod = manifest(accelerators=[{"kind": "gpu", "count": 2, "brand": "nvidia", "model": "nvidia-tesla-t4"}])
    pod = pod["spec"]["template"]["spec"]
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert any(e["values"] == ["nvidia-tesla-t4"] for t in terms for e in t["matchExpressions"])


def test_preemptible_jobs_prefer_and_tolerate_spot_nodes() -> None:
    pod = manifest(preemptible=True)["spec"]["template"]["spec"]
    preferred = pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    keys = {p["preference"]["matchExpressions"][0]["key"] for p in preferred}
    assert {"eks.amazonaws.com/capacityType", "cloud.google.com/gke-preemptible"} <= keys
    assert {t["key"] for t in pod["tolerations"]} >= {"cloud.google.com/gke-preemptible"}


def test_other_jobs_avoid_spot_nodes() -> None:
    pod = manifest()["spec"]["template"]["spec"]
    term = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
    assert all(e["operator"] == "NotIn" for e in term["matchExpressions"])
    assert "tolerations" not in pod


def test_work_dir_on_host_path_at_the_same_path() -> None:
    template = PodTemplate(image="i:1", run_id="r", owner="o", host_path="/data/toil")
    pod = job_manifest(template, 1, args=["x"], environment={}, cores=1, memory=1, disk=1)["spec"]["template"]["spec"]
    assert pod["volumes"][0]["hostPath"]["path"] == "/data/toil"
    assert pod["containers"][0]["volumeMounts"][0]["mountPath"] == "/data/toil"
    assert {"name": "TOIL_WORKDIR_OVERRIDE", "value": "/data/toil"} in pod["containers"][0]["env"]


def test_work_dir_without_host_path_is_an_empty_dir() -> None:
    pod = manifest()["spec"]["template"]["spec"]
    assert pod["volumes"][0] == {"name": "workdir", "emptyDir": {}}


def test_security_contexts_and_privileged() -> None:
    template = PodTemplate(image="i:1", run_id="r", owner="o", privileged=True,
                           pod_security_context={"runAsUser": 1000}, security_context={"readOnlyRootFilesystem": True})
    pod = job_manifest(template, 1, args=["x"], environment={}, cores=1, memory=1, disk=1)["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsUser": 1000}
    assert pod["containers"][0]["securityContext"] == {"readOnlyRootFilesystem": True, "privileged": True}


def _pod(phase: str, state: Any, scheduled: bool = True) -> Any:
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    conditions = [NS(type="PodScheduled", status="True", last_transition_time=when)] if scheduled else []
    statuses = [NS(state=state)] if state is not None else None
    return NS(status=NS(phase=phase, conditions=conditions, container_statuses=statuses, reason=None, message=None))


def test_terminated_container_gives_exit_code_and_wall_time() -> None:
    start, end = datetime(2026, 1, 1, 0, 0, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, 0, 0, 4, tzinfo=timezone.utc)
    term = NS(exit_code=3, reason="Error", message=None, started_at=start, finished_at=end)
    view = view_pod(_pod("Failed", NS(terminated=term, running=None, waiting=None)))
    assert (view.phase, view.exit_code, view.wall_time) == (Phase.DONE, 3, 3.0)


def test_oom_killed_is_out_of_memory() -> None:
    term = NS(exit_code=137, reason="OOMKilled", message=None, started_at=None, finished_at=None)
    assert view_pod(_pod("Failed", NS(terminated=term, running=None, waiting=None))).out_of_memory


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "ErrImagePull", "ContainerCreating"])
def test_scheduled_pod_that_does_not_start_is_stuck_after_the_timeout(reason: str) -> None:
    view = view_pod(_pod("Pending", NS(terminated=None, running=None, waiting=NS(reason=reason, message="m"))))
    scheduled = datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()
    assert view.phase is Phase.STARTING
    assert not is_stuck(view, scheduled + 10, 120)
    assert is_stuck(view, scheduled + 121, 120)


def test_unscheduled_pod_waits_for_room_forever() -> None:
    view = view_pod(_pod("Pending", None, scheduled=False))
    assert view.phase is Phase.WAITING
    assert not is_stuck(view, 1e12, 1)


def test_executor_exit_status_of_a_shell_command() -> None:
    assert executor.main(["--shell", "exit 5"]) == 5
    assert executor.main(["--shell", "kill -TERM $$"]) == 128 + 15


def test_executor_rejects_bad_arguments(capsys: Any) -> None:
    assert executor.main(["--nonsense"]) == 2
    assert "usage" in capsys.readouterr().err


def test_executor_is_installed_as_a_program() -> None:
    proc = subprocess.run([sys.executable, "-c", "from toil_k8s.executor import main; import sys; "
                           "sys.exit(main(['--shell', 'echo hi']))"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "hi"


def test_environment_knobs() -> None:
    knobs = environment_knobs({"TOIL_APPLIANCE_SELF": "img:1", "KUBE_WATCH_ENABLED": "False",
                               "TOIL_AWS_SECRET_NAME": "aws"})
    assert (knobs.appliance, knobs.watch_enabled, knobs.aws_secret_name) == ("img:1", False, "aws")
    assert environment_knobs({}).watch_enabled is True


def test_dollars_survive_kubernetes_variable_expansion() -> None:
    container = job_manifest(TEMPLATE, 1, args=["_toil_contained_executor", "--shell", "kill $$; echo $(x)"],
                             environment={"V": "a$(B)"}, cores=1, memory=1, disk=1)["spec"]["template"]["spec"][
        "containers"][0]
    assert container["command"][-1] == "kill $$$$; echo $$(x)"
    assert {"name": "V", "value": "a$$(B)"} in container["env"]
