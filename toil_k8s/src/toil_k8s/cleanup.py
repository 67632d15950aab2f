"""Removing the Jobs and pods of a run or a workflow, by label, and waiting until they are gone.

Used by the batch system (its shutdown removes the run's Jobs; a leader started with ``--restart``
removes those its killed predecessor left) and by ``toil clean`` (hook ``toil_clean_workflow``:
deleting a killed workflow's job store also deletes the pods it left running, which would
otherwise run on, a service's pod for ever).
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from toil_k8s.manifests import WORKFLOW_LABEL, label_value

if TYPE_CHECKING:
    from toil_core.plugin_api import Config

logger = logging.getLogger(__name__)

#: How long a deletion may take before it is reported as incomplete.
DELETE_TIMEOUT = 120.0


def workflow_selector(workflow_id: str) -> str:
    """The label selector of every Job and pod of one workflow, across its restarts."""
    return f"{WORKFLOW_LABEL}={label_value(workflow_id)}"


def count_labelled(connection: Any, selector: str) -> int:
    """How many Jobs and pods carry these labels."""
    jobs = connection.batch.list_namespaced_job(connection.namespace, label_selector=selector, _request_timeout=30)
    pods = connection.core.list_namespaced_pod(connection.namespace, label_selector=selector, _request_timeout=30)
    return len(jobs.items) + len(pods.items)


def delete_pods(connection: Any, selector: str) -> None:
    """Delete pods at once (besides their Job): the kubelet hears of it without waiting for the
    garbage collector, so the job gets its SIGTERM sooner."""
    try:
        connection.core.delete_collection_namespaced_pod(connection.namespace, label_selector=selector,
                                                         _request_timeout=30)
    except Exception as exc:  # noqa: BLE001 - the Jobs' deletion removes them anyway
        logger.debug("Deleting pods %s: %s", selector, exc)


def delete_labelled(connection: Any, selector: str) -> None:
    """Delete the Jobs (foreground propagation: the pods first) and the pods with these labels."""
    connection.batch.delete_collection_namespaced_job(connection.namespace, label_selector=selector,
                                                      propagation_policy="Foreground", _request_timeout=60)
    delete_pods(connection, selector)


def wait_labelled_gone(connection: Any, selector: str, timeout: float = DELETE_TIMEOUT) -> bool:
    """Wait until no Job and no pod carries these labels; False if some are left at the deadline."""
    deadline = time.monotonic() + timeout
    while count_labelled(connection, selector):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    return True


def remove_workflow(connection: Any, workflow_id: str, why: str, timeout: float = DELETE_TIMEOUT) -> int:
    """Delete every Job and pod of a workflow and wait until they are gone; returns how many
    there were. ``why`` says whose they are in the log ("left by an earlier run ...")."""
    selector = workflow_selector(workflow_id)
    found = count_labelled(connection, selector)
    if not found:
        return 0
    logger.info("Deleting the Kubernetes jobs and pods %s (%d objects) and waiting for them to end.", why, found)
    delete_labelled(connection, selector)
    if not wait_labelled_gone(connection, selector, timeout):
        logger.warning("Kubernetes jobs %s were still there %.0f s after their deletion: kubectl get jobs,pods -l %s "
                       "-n %s", why, timeout, selector, connection.namespace)
    return found


def clean_workflow(config: Config) -> None:
    """``toil clean`` of a workflow that ran on the kubernetes batch system: delete its Jobs and pods
    (those a killed leader left). Without a reachable cluster this says what to delete by hand."""
    from toil_k8s.connection import KubernetesSetupError, connect

    workflow_id = config.workflowID
    if not workflow_id:
        return
    selector = workflow_selector(workflow_id)
    try:
        connection = connect()
        remove_workflow(connection, workflow_id, f"of workflow {workflow_id}")
    except (KubernetesSetupError, Exception) as exc:  # noqa: BLE001 - the store is deleted either way
        logger.warning("Could not delete the Kubernetes jobs of workflow %s (%s); delete them with: kubectl delete "
                       "jobs,pods -l %s", workflow_id, exc, selector)
