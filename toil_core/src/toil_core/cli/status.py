"""Report the state of a workflow's jobs from its job store.

``toil status JOBSTORE`` counts the jobs still in the job store (reached from the root job, or
the ``--jobs`` given) by state, and can print their logs, successors, a Graphviz graph, or the
workflow's overall status (COMPLETED, RUNNING, ERROR or QUEUED).
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, Dict, List, Optional, Tuple

from toil_core.cli._common import (
    CommandError,
    command,
    leader_is_local,
    local_leader_pid,
    make_store,
    pid_is_alive,
)
from toil_core.cli.dot_render import DotRenderError, dot_format, find_dot, render_dot
from toil_core.cli.status_bus import job_state, print_bus_states
from toil_core.job.errors import JobException
from toil_core.jobstores.errors import NoSuchFileException, NoSuchJobException, NoSuchJobStoreException
from toil_core.jobstores.helper_reads import HelperReader, load_descriptions
from toil_core.leader.messages import read_run_messages
from toil_core.lib.bulk import gc_paused
from toil_core.workflow.options import parser_with_common_options, set_logging_from_options

__all__ = ["ToilStatus", "main"]

logger = logging.getLogger(__name__)

ROOT_ABSENT = "The root job of the job store is absent, the workflow completed successfully."
SUCCEEDED_FILE = "succeeded.log"
FAILED_FILE = "failed.log"
#: How many jobs the walk reads together, and the smallest level of the job graph read with a
#: forked helper.
READ_CHUNK = 2000
HELPER_MIN = 5000


def _open(job_store_name: str) -> Any:
    """The resumed job store; raises NoSuchJobStoreException if missing."""
    store = make_store(job_store_name)
    store.resume()
    return store


def _has_shared_file(store: Any, name: str) -> bool:
    try:
        with store.read_shared_file_stream(name):
            return True
    except NoSuchFileException:
        return False


def _root_absent(store: Any) -> bool:
    root_id = store.root_job_id()
    return root_id is not None and not store.job_exists(root_id)


def _dot_id(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


class ToilStatus:
    """Tool for reporting on job status.

    :param jobStoreName: the job store locator.
    :param specifiedJobs: IDs of the jobs to report on; default: every job reachable from the
        root job. Raises JobException if the root job is gone (the workflow finished).
    """

    def __init__(self, jobStoreName: str, specifiedJobs: Optional[List[str]] = None) -> None:
        self.jobStoreName = jobStoreName
        self.jobStore = _open(jobStoreName)
        self.missingJobs: List[str] = []
        if specifiedJobs:
            self.jobsToReport = self._load_specified(specifiedJobs)
        else:
            self.jobsToReport = self.traverseJobGraph(self.fetchRootJob())

    # ------------------------------------------------------------------ loading
    def _load_specified(self, job_ids: List[str]) -> List[Any]:
        jobs = []
        for job_id in job_ids:
            try:
                jobs.append(self.jobStore.load_job(job_id))
            except NoSuchJobException:
                self.missingJobs.append(job_id)
        return jobs

    def fetchRootJob(self) -> Any:
        """The root job's description. Like ``load_root_job`` but the JobException raised when
        the root job is gone says that the workflow completed."""
        root_id = self.jobStore.root_job_id()
        if root_id is None:
            raise JobException("No root job is set in the job store: the workflow was never started.")
        if not self.jobStore.job_exists(root_id):
            raise JobException(ROOT_ABSENT)
        return self.jobStore.load_job(root_id)

    def traverseJobGraph(self, rootJob: Any, jobsToReport: Optional[List[Any]] = None,
                         foundJobStoreIDs: Optional[set] = None) -> List[Any]:
        """Every stored job reachable from ``rootJob`` through successors and services, in
        breadth-first order, without their pickled bodies (only a worker needs those; a
        million-job store's would be gigabytes). Jobs are read :data:`READ_CHUNK` at a time
        (``load_jobs``: one round of requests on stores that make them in parallel; a forked
        helper reads part of each chunk of a level of :data:`HELPER_MIN` jobs or more, see
        :mod:`toil_core.jobstores.helper_reads`), with the cyclic garbage collector paused (it
        would walk the growing list again and again)."""
        found = foundJobStoreIDs if foundJobStoreIDs is not None else set()
        jobs = jobsToReport if jobsToReport is not None else []
        found.add(rootJob.jobStoreID)
        level = [rootJob]
        with gc_paused():
            while level:
                jobs.extend(level)
                next_ids: List[str] = []
                for job in level:
                    for phase in (job.children, job.followOns, job.services):
                        for next_id in phase:
                            if next_id not in found:
                                found.add(next_id)
                                next_ids.append(next_id)
                level = []
                helper = HelperReader.start(self.jobStore) if len(next_ids) >= HELPER_MIN else None
                try:
                    for start in range(0, len(next_ids), READ_CHUNK):
                        chunk = next_ids[start:start + READ_CHUNK]
                        loaded = load_descriptions(self.jobStore, chunk, helper)
                        for next_id in chunk:
                            found_job = loaded.get(next_id)
                            if found_job is not None:  # (None: finished and deleted)
                                found_job.jobStoreID = next_id  # (one string per ID, not two)
                                level.append(found_job)
                finally:
                    if helper is not None:
                        helper.close()
        return jobs

    # ------------------------------------------------------------------ reports
    def report_on_jobs(self) -> Dict[str, Any]:
        """Sort the reported jobs into categories: ``hasChildren``, ``readyToRun``, ``zombies``,
        ``hasServices``, ``services``, ``hasLogFile``, ``failed`` (lists of descriptions), plus
        ``properties`` and ``childNumber`` (lists parallel to the reported jobs). Jobs with the
        same properties share one (sorted) list of them: a million-job store has a few
        distinct ones."""
        stats: Dict[str, Any] = {key: [] for key in (
            "hasChildren", "readyToRun", "zombies", "hasServices", "services", "hasLogFile",
            "failed", "properties", "childNumber")}
        has_log, has_children, ready, zombies = (stats["hasLogFile"], stats["hasChildren"],
                                                 stats["readyToRun"], stats["zombies"])
        has_services, services, failed = stats["hasServices"], stats["services"], stats["failed"]
        properties, child_number = stats["properties"], stats["childNumber"]
        shared: Dict[Tuple[str, ...], List[str]] = {}
        for job in self.jobsToReport:
            props: Tuple[str, ...] = ()
            successors = len(job.children) + len(job.followOns)
            has_body = job.body_id is not None
            is_service = job.kind == "service"
            if job.logJobStoreFileID is not None:
                has_log.append(job)
                props += ("HAS_LOGFILE",)
            if successors:
                has_children.append(job)
                props += ("HAS_CHILDREN",)
            if has_body and not is_service:
                ready.append(job)
                props += ("READY_TO_RUN",)
            if not has_body and not successors and not job.services:
                zombies.append(job)
                props += ("IS_ZOMBIE",)
            if job.services:
                has_services.append(job)
                props += ("HAS_SERVICES",)
            if is_service:
                services.append(job)
                props += ("IS_SERVICE",)
            if has_body and job.remainingTryCount <= 0:
                failed.append(job)
                props += ("FAILED",)
            names = shared.get(props)
            if names is None:
                names = shared[props] = sorted(props)
            properties.append(names)
            child_number.append(successors)
        return stats

    def print_dot_chart(self) -> None:
        """Print a Graphviz (dot) graph of the reported jobs and the edges between them."""
        print(self.dot_chart(), end="")

    def dot_chart(self) -> str:
        """The Graphviz (dot) graph of the reported jobs and the edges between them, as text."""
        ids = {job.jobStoreID for job in self.jobsToReport}
        lines = ["digraph toil_graph {",
                 f"  # Jobs remaining in job store {self.jobStoreName}",
                 "  node [shape=box];"]
        for job in self.jobsToReport:
            label = _dot_id(job.displayName or job.jobName)[:-1] + "\\n" + _dot_id(job.jobStoreID)[1:]
            attrs_ = [f"label={label}"]
            if job.kind == "service":
                attrs_.append("shape=ellipse")
            if job.body_id is not None and job.remainingTryCount <= 0:
                attrs_.append("color=red")
            elif job.body_id is None:
                attrs_.append("style=dashed")
            lines.append(f"  {_dot_id(job.jobStoreID)} [{', '.join(attrs_)}];")
        for job in self.jobsToReport:
            for kinds, style in ((job.children, ""), (job.followOns, " [style=dashed, label=\"follow-on\"]"),
                                 (job.services, " [style=dotted, label=\"service\"]")):
                for target in kinds:
                    if target in ids:
                        lines.append(f"  {_dot_id(job.jobStoreID)} -> {_dot_id(target)}{style};")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def printJobLog(self) -> None:
        """Print the stored log of every reported job that has one (jobs that failed)."""
        for job in self.jobsToReport:
            if job.logJobStoreFileID is None:
                continue
            print(f"=== Log of job {job} (tries remaining: {job.remainingTryCount}) ===")
            try:
                with self.jobStore.read_file_stream(job.logJobStoreFileID) as stream:
                    text = stream.read().decode("utf-8", errors="replace")
            except NoSuchFileException:
                text = "(the log file is missing from the job store)\n"
            print(text, end="" if text.endswith("\n") else "\n")
            print(f"=== End of log of job {job.jobStoreID} ===")

    def printJobChildren(self) -> None:
        """Print the successors (children, follow-ons, services) of every reported job."""
        for job in self.jobsToReport:
            print(f"Successors of job {job}:")
            empty = True
            for word, ids in (("child", job.children), ("follow-on", job.followOns),
                              ("service", job.services)):
                for job_id in ids:
                    print(f"    {word}: {job_id}")
                    empty = False
            if empty:
                print("    (none)")

    def printAggregateJobStats(self, properties: List[List[str]], childNumber: List[int]) -> None:
        """Print each reported job's ID, log file, remaining tries and other properties."""
        for job, props, children in zip(self.jobsToReport, properties, childNumber):
            print(f"JOB: {job.jobStoreID}  NAME: {job.displayName or job.jobName}  "
                  f"LOG_FILE: {job.logJobStoreFileID}  TRIES_REMAINING: {job.remainingTryCount}  "
                  f"CHILD_NUMBER: {children}  PROPERTIES: {', '.join(props) or '-'}")

    # ------------------------------------------------------------------ workflow status
    @staticmethod
    def getPIDStatus(jobStoreName: str) -> str:
        """Whether the leader recorded in the job store still runs: 'QUEUED' if there is no job
        store or no recorded leader, 'RUNNING' if its process exists on this machine (or it ran on
        another machine, where it can't be checked), 'COMPLETED' if the process is gone."""
        try:
            store = _open(jobStoreName)
            pid = store.read_leader_pid()
        except (NoSuchJobStoreException, NoSuchFileException, ValueError):
            return "QUEUED"
        if not leader_is_local(store):
            return "RUNNING"
        return "RUNNING" if pid_is_alive(pid) else "COMPLETED"

    @staticmethod
    def getStatus(jobStoreName: str) -> str:
        """The workflow's status: 'QUEUED' if the job store does not exist (yet); 'COMPLETED' if
        the leader recorded success or the root job is gone; 'ERROR' if the leader recorded
        failed jobs and is not running again; 'RUNNING' otherwise."""
        try:
            store = _open(jobStoreName)
        except NoSuchJobStoreException:
            return "QUEUED"
        if _has_shared_file(store, SUCCEEDED_FILE) or _root_absent(store):
            return "COMPLETED"
        if _has_shared_file(store, FAILED_FILE) and local_leader_pid(store) is None:
            return "ERROR"
        return "RUNNING"

    def print_bus_messages(self) -> None:
        """Print the workflow's status and the jobs it is running or waiting to run."""
        print_status(self.jobStoreName, self.jobsToReport)


def print_status(job_store_name: str, jobs: Optional[List[Any]] = None) -> None:
    """Print the workflow's status, the state of each of ``jobs`` that has not run, and what the
    leader's message bus says about the jobs it issued (with their batch system IDs)."""
    status = ToilStatus.getStatus(job_store_name)
    print(f"Workflow status: {status}")
    if status == "QUEUED":
        return
    pid_status = ToilStatus.getPIDStatus(job_store_name)
    if status == "RUNNING" and pid_status == "COMPLETED":
        print("The leader recorded in the job store is no longer running on this machine; "
              "the workflow was interrupted. Rerun it with --restart to resume it.")
    leader_running = status == "RUNNING" and pid_status != "COMPLETED"
    where, states = read_run_messages(_open(job_store_name))
    for job in jobs or []:
        if job.body_id is not None:
            print(f"    {job}: {job_state(job, states, leader_running)}")
    print_bus_states(where, states, leader_running)


# ------------------------------------------------------------------------------ command line
def build_parser() -> argparse.ArgumentParser:
    parser = parser_with_common_options(jobstore_option=True, prog="toil status")
    parser.description = "Report the state of a workflow's jobs from its job store."
    parser.add_argument("--failIfNotComplete", action="store_true", default=False,
                        help="Exit with status 1 unless the workflow completed successfully.")
    parser.add_argument("--noAggStats", dest="stats", action="store_false", default=True,
                        help="Do not print the counts of jobs by state.")
    parser.add_argument("--printDot", action="store_true", default=False,
                        help="Print a Graphviz dot graph of the remaining jobs (or of --jobs).")
    parser.add_argument("--dotFile", dest="dotFile", default=None, metavar="FILE", type=_dot_path,
                        help="Draw the graph of --printDot into FILE with Graphviz (which must be "
                             "installed); the extension picks the format: .svg, .png, .pdf, or .dot/.gv "
                             "for the DOT text.")
    parser.add_argument("--jobs", nargs="+", default=None, metavar="JOB_ID",
                        help="Report on these jobs only, instead of every job reachable from the root.")
    parser.add_argument("--printPerJobStats", action="store_true", default=False,
                        help="Print the ID, log file, tries left and properties of each job.")
    parser.add_argument("--printLogs", action="store_true", default=False,
                        help="Print the log of each job that has one (the jobs that failed).")
    parser.add_argument("--printChildren", action="store_true", default=False,
                        help="Print the successors of each job.")
    parser.add_argument("--printStatus", action="store_true", default=False,
                        help="Print the workflow's status (COMPLETED, RUNNING, ERROR or QUEUED) and "
                             "its unfinished jobs.")
    return parser


def _dot_path(text: str) -> str:
    try:
        dot_format(text)
    except DotRenderError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def _summary_line(stats: Dict[str, Any], total: int, store: str) -> str:
    return ("Of the %i jobs considered, there are %i jobs with children, %i jobs ready to run, "
            "%i zombie jobs, %i jobs with services, %i services, and %i jobs with log files "
            "currently in %s." % (total, len(stats["hasChildren"]), len(stats["readyToRun"]),
                                  len(stats["zombies"]), len(stats["hasServices"]),
                                  len(stats["services"]), len(stats["hasLogFile"]), store))


@command
def main(argv: List[str]) -> int:
    options = build_parser().parse_args(argv)
    set_logging_from_options(options)
    incomplete = 1 if options.failIfNotComplete else 0
    if options.dotFile:
        _check_graphviz(options.dotFile)
    logger.debug("Checking the job store %s", options.jobStore)
    try:
        status = ToilStatus(options.jobStore, options.jobs)
    except NoSuchJobStoreException:
        print("No job store found.")
        return incomplete
    except JobException as err:
        if options.printStatus:
            print_status(options.jobStore)
        print(str(err))
        return 0 if str(err) == ROOT_ABSENT else incomplete
    for job_id in status.missingJobs:
        print(f"Job {job_id} is not in the job store (it finished, or never existed).", file=sys.stderr)
    if options.printStatus:
        status.print_bus_messages()
    if options.printDot:
        status.print_dot_chart()
    if options.dotFile:
        _render(status, options.dotFile)
    report = status.report_on_jobs()
    if options.stats:
        print(_summary_line(report, len(status.jobsToReport), options.jobStore))
        if report["failed"]:
            print("%i jobs failed and have no tries left: %s" % (
                len(report["failed"]), " ".join(j.jobStoreID for j in report["failed"])))
    if options.printPerJobStats:
        status.printAggregateJobStats(report["properties"], report["childNumber"])
    if options.printLogs:
        status.printJobLog()
    if options.printChildren:
        status.printJobChildren()
    if options.jobs and status.missingJobs and not status.jobsToReport:
        raise CommandError("None of the given jobs is in the job store.", incomplete or 1)
    return 0 if _root_absent(status.jobStore) else incomplete


def _check_graphviz(path: str) -> None:
    """Fail before any output if ``path`` needs Graphviz and it is not installed."""
    if dot_format(path) is not None:
        try:
            find_dot()
        except DotRenderError as error:
            raise CommandError(str(error)) from error


def _render(status: ToilStatus, path: str) -> None:
    try:
        render_dot(status.dot_chart(), path)
    except DotRenderError as error:
        raise CommandError(str(error)) from error
    logger.info("Wrote the graph of %i jobs to %s", len(status.jobsToReport), path)
