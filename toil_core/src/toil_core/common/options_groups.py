"""The table of Toil workflow options, one entry per option, grouped like upstream Toil.

Each :class:`Opt` holds argparse ``add_argument`` keyword arguments (defaults come from the
:class:`~toil_core.common.config.Config` fields, ``D(name)``, except where the command line's default
is "not given" or comes from the environment); ``toil_core.workflow.options``
turns the table into argparse groups or optparse groups.  Flag names, destinations and defaults
are those of Toil 5.10 (FEATURES.md section 8).
"""
import argparse
import os
import socket
from typing import Any, Callable, Dict, List, NamedTuple, Tuple

from toil_core.common.config import config_default as D
from toil_core.common.parsing import (
    CLEAN_CHOICES,
    canonical_clean,
    canonical_log_level,
    parse_accelerator_list,
    parse_float,
    parse_int,
    parse_int_list,
    parse_node_types,
    parse_number,
    parse_signed_size,
    parse_size,
    parse_str_list,
    parseBool,
)


CORE = "Toil core options"
LOGGING = "Toil logging options"
LOG_MANAGEMENT = "Toil log management options"
BATCH = "Toil options for specifying the batch system"
STORAGE = "Toil options for configuring storage"
AUTOSCALING = "Toil options for autoscaling the cluster of worker nodes"
SERVICES = "Toil options for configuring services"
RESOURCES = "Toil options for cores/memory requirements"
RESCUE = "Toil options for rescuing/killing/restarting jobs"
MISC = "Toil miscellaneous options"
DEBUG = "Toil debug options"

GROUP_DESCRIPTIONS: Dict[str, str] = {
    CORE: "Options to specify the location of the Toil workflow and to turn on stats collation "
          "about the performance of jobs.",
    LOGGING: "Toil hides the standard output and error of jobs unless they fail. These options set "
             "how much the leader logs and where.",
    LOG_MANAGEMENT: "Options for how job logs are kept and where they are written.",
    BATCH: "Options for choosing and configuring the batch system that runs the jobs.",
    STORAGE: "Options for how files are moved into, kept in and moved out of the job store.",
    AUTOSCALING: "Options for the number and types of worker nodes of an autoscaled cluster, and for "
                 "how eagerly nodes are provisioned.",
    SERVICES: "Limits on service jobs; keeping them limited avoids deadlocks where services occupy "
              "all nodes.",
    RESOURCES: "Default resource requirements for jobs that do not state their own, and limits on "
               "what is requested from the batch system.",
    RESCUE: "Options for jobs that fail, run too long or get lost by the batch system.",
    MISC: "Miscellaneous options.",
    DEBUG: "Debug options for finding problems or helping with testing.",
}

#: Groups in the order they appear in --help.
GROUP_ORDER: Tuple[str, ...] = (CORE, LOGGING, LOG_MANAGEMENT, BATCH, STORAGE, AUTOSCALING, SERVICES,
                                RESOURCES, RESCUE, MISC, DEBUG)

#: The log level names --logLevel accepts (any case).
LOG_LEVEL_CHOICES = ("OFF", "CRITICAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG")


def arg_type(parse: Callable[[Any], Any], what: str) -> Callable[[str], Any]:
    """Wrap a parser so argparse reports its message ("argument --x: ...") on bad input."""
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except (ValueError, TypeError) as e:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: {e}") from None
    convert.__name__ = what.replace(" ", "_")
    return convert


SIZE = arg_type(parse_size, "size")
SIGNED_SIZE = arg_type(parse_signed_size, "size")
INT = arg_type(parse_int, "integer")
FLOAT = arg_type(parse_float, "number")
NUMBER = arg_type(parse_number, "number")
BOOL = arg_type(parseBool, "boolean")
LOG_LEVEL = arg_type(canonical_log_level, "log level")
CLEAN = arg_type(canonical_clean, "clean choice")
NODE_TYPES = arg_type(parse_node_types, "node type list")
STR_LIST = arg_type(parse_str_list, "list")
INT_LIST = arg_type(parse_int_list, "integer list")
ACCELERATORS = arg_type(parse_accelerator_list, "accelerator list")


def leader_ip() -> str:
    """This host's outward-facing IP address (no packet is sent), for backend defaults."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("203.0.113.1", 1))
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


class Opt(NamedTuple):
    group: str
    flags: Tuple[str, ...]
    kwargs: Dict[str, Any]
    #: True for options a backend plugin or a front end (CWL) may own: skipped when the parser
    #: already has any of their flags, and left out with ``include_backend_options=False``.
    backend: bool = False


def _o(group: str, *flags: str, backend: bool = False, **kwargs: Any) -> Opt:
    return Opt(group, flags, kwargs, backend)


def option_table() -> List[Opt]:
    """Every Toil workflow option (built on demand: some defaults depend on the environment)."""
    cwd = os.getcwd()
    env = os.environ.get
    clean_list = ", ".join(CLEAN_CHOICES)
    return [
        # ---- core -------------------------------------------------------------------------
        _o(CORE, "--workDir", dest="workDir", default=D("workDir"), metavar="WORKDIR",
           help="Absolute path to the directory for temporary files of the run; files go in a "
                "toil-<workflowID> directory inside it. Standard output and error of batch system "
                "jobs are kept here (unless --noStdOutErr). Must exist on every machine running jobs. "
                "Default: from TMPDIR, TEMP or TMP, as mkdtemp picks."),
        _o(CORE, "--coordinationDir", dest="coordination_dir",
           default=D("coordination_dir"), metavar="COORDINATION_DIR",
           help="Absolute path to the directory where Toil keeps state and lock files. To share a "
                "cache between containers on a host, share this directory between them."),
        _o(CORE, "--noStdOutErr", dest="noStdOutErr", action="store_true", default=D("noStdOutErr"),
           help="Do not capture the standard output and error of batch system jobs."),
        _o(CORE, "--stats", dest="stats", action="store_true", default=D("stats"),
           help="Record statistics about the workflow for 'toil stats'. The job store is then never "
                "deleted at the end of the run."),
        _o(CORE, "--clean", dest="clean", type=CLEAN, default=None, metavar="{%s}" % ",".join(CLEAN_CHOICES),
           help=f"When to delete the job store at the end of the run: one of {clean_list}. Default "
                "is 'never' with --stats and 'onSuccess' otherwise. To be able to restart a run, "
                "choose 'never' or 'onSuccess'."),
        _o(CORE, "--cleanWorkDir", dest="cleanWorkDir", type=CLEAN, default=D("cleanWorkDir"),
           metavar="{%s}" % ",".join(CLEAN_CHOICES),
           help=f"When to delete the temporary directory of a job when it finishes: one of "
                f"{clean_list}. Change it only to debug: intermediate data may fill the disk."),
        _o(CORE, "--clusterStats", dest="clusterStats", nargs="?", const=cwd, default=None,
           metavar="FILEPATH",
           help="Write JSON resource usage statistics to a file in this directory (the current "
                "directory when no path is given). Only for scalable batch systems."),
        _o(CORE, "--restart", dest="restart", action="store_true", default=D("restart"),
           help="Restart the existing workflow in the job store instead of starting a new one; "
                "fails if the job store does not exist."),
        # ---- logging ----------------------------------------------------------------------
        _o(LOGGING, "--logOff", dest="logLevel", action="store_const", const="CRITICAL",
           default=D("logLevel"),
           help="Same as --logCritical."),
        _o(LOGGING, "--logCritical", dest="logLevel", action="store_const", const="CRITICAL",
           default=D("logLevel"), help="Only show CRITICAL log messages."),
        _o(LOGGING, "--logError", dest="logLevel", action="store_const", const="ERROR", default=D("logLevel"),
           help="Only show ERROR and CRITICAL log messages."),
        _o(LOGGING, "--logWarning", dest="logLevel", action="store_const", const="WARNING",
           default=D("logLevel"), help="Only show WARNING, ERROR and CRITICAL log messages."),
        _o(LOGGING, "--logInfo", dest="logLevel", action="store_const", const="INFO", default=D("logLevel"),
           help="Show every log message except DEBUG ones."),
        _o(LOGGING, "--logDebug", dest="logLevel", action="store_const", const="DEBUG", default=D("logLevel"),
           help="Show every log message."),
        _o(LOGGING, "--logLevel", dest="logLevel", type=LOG_LEVEL, default=D("logLevel"), metavar="LOGLEVEL",
           help="Log level, any case: OFF (or CRITICAL), ERROR, WARN (or WARNING), INFO or DEBUG."),
        _o(LOGGING, "--logFile", dest="logFile", default=D("logFile"), metavar="FILEPATH",
           help="Also write the log to this file."),
        _o(LOGGING, "--rotatingLogging", dest="logRotating", action="store_true", default=D("logRotating"),
           help="Rotate the --logFile so it cannot grow without bound."),
        _o(LOGGING, "--log-dir", dest="log_dir", default=None, metavar="DIRPATH", backend=True,
           help="CWL with a local file system only: write the tools' standard output and error "
                "files into DIRPATH."),
        # ---- log management ---------------------------------------------------------------
        _o(LOG_MANAGEMENT, "--maxLogFileSize", dest="maxLogFileSize", type=SIGNED_SIZE,
           default=D("maxLogFileSize"), metavar="BYTESIZE",
           help="Largest job log to keep, in bytes (suffixes such as K or Mi work). Longer logs keep "
                "their last BYTESIZE bytes; 0 keeps logs whole; a negative value truncates from the "
                "beginning. Also the size at which --rotatingLogging rotates, when set."),
        _o(LOG_MANAGEMENT, "--writeLogs", dest="writeLogs", nargs="?", const=cwd, default=None,
           metavar="FILEPATH",
           help="Write the job logs the leader receives into files in this directory (the current "
                "directory when no path is given), with any non-empty output of failed batch system "
                "jobs. Only failed jobs send their logs back unless the log level is debug or "
                "--writeLogsFromAllJobs is set."),
        _o(LOG_MANAGEMENT, "--writeLogsGzip", dest="writeLogsGzip", nargs="?", const=cwd, default=None,
           metavar="FILEPATH", help="Like --writeLogs, but gzip the log files."),
        _o(LOG_MANAGEMENT, "--writeLogsFromAllJobs", dest="writeLogsFromAllJobs", action="store_true",
           default=D("writeLogsFromAllJobs"),
           help="Also keep the logs of jobs that succeed; needs --writeLogs or --writeLogsGzip."),
        _o(LOG_MANAGEMENT, "--writeMessages", dest="write_messages",
           default=D("write_messages"), metavar="FILEPATH",
           help="File to write the messages of the leader's message bus to."),
        _o(LOG_MANAGEMENT, "--realTimeLogging", dest="realTimeLogging", action="store_true",
           default=D("realTimeLogging"),
           help="Send log messages from workers to the leader as they happen."),
        # ---- batch system -----------------------------------------------------------------
        _o(BATCH, "--batchSystem", dest="batchSystem", default=D("batchSystem"), metavar="BATCHSYSTEM",
           help="The batch system to run jobs with, e.g. single_machine, slurm, lsf, grid_engine, "
                "torque, htcondor, kubernetes, mesos, tes, aws_batch, parasol (backends other than "
                "single_machine come from installed plugins)."),
        _o(BATCH, "--disableAutoDeployment", "--disableHotDeployment", dest="disableAutoDeployment",
           action="store_true", default=D("disableAutoDeployment"),
           help="Do not ship the user script to the workers; it must then exist at the same path "
                "on every worker."),
        _o(BATCH, "--maxJobs", dest="max_jobs", type=INT, default=D("max_jobs"), metavar="MAXJOBS",
           help="Most jobs to submit to the backing scheduler at once; 0 for unlimited. Not supported "
                "on Mesos or AWS Batch."),
        _o(BATCH, "--maxLocalJobs", dest="max_local_jobs", type=INT, default=D("max_local_jobs"),
           metavar="MAXLOCALJOBS",
           help="Most housekeeping jobs to run at once on the leader; 0 for unlimited. Default: the "
                "number of local cores."),
        _o(BATCH, "--manualMemArgs", dest="manualMemArgs", action="store_true", default=D("manualMemArgs"),
           help="Grid Engine: do not add 'hv=MEMORY' and 'h_vmem=MEMORY' to qsub; rely on "
                "TOIL_GRIDENGINE_ARGS (which must then be set) instead."),
        _o(BATCH, "--runCwlInternalJobsOnWorkers", "--runLocalJobsOnWorkers",
           dest="run_local_jobs_on_workers", action="store_true", default=D("run_local_jobs_on_workers"),
           help="Run internal jobs (such as CWL scatters) on worker nodes instead of the leader."),
        _o(BATCH, "--statePollingWait", dest="statePollingWait", type=NUMBER, default=D("statePollingWait"),
           metavar="STATEPOLLINGWAIT",
           help="Seconds to wait between queries of the scheduler for job states; cached answers "
                "are used in between. Grid-engine-like batch systems only."),
        _o(BATCH, "--batchLogsDir", dest="batch_logs_dir",
           default=D("batch_logs_dir"), metavar="BATCHLOGSDIR",
           help="Directory the backing scheduler should write its logs into; it must be readable "
                "from the leader. Default: the Toil work directory. Grid-engine-like systems only."),
        _o(BATCH, "--scale", dest="scale", type=FLOAT, default=D("scale"),
           help="Multiply the cores every job asks for by this factor (single_machine); below 1 "
                "lets a workflow run on a smaller machine than it was written for."),
        _o(BATCH, "--parasolCommand", dest="parasolCommand", default=D("parasolCommand"), backend=True,
           help="Name or path of the parasol program; looked up on PATH unless it starts with a slash."),
        _o(BATCH, "--parasolMaxBatches", dest="parasolMaxBatches", type=INT,
           default=D("parasolMaxBatches"), backend=True,
           help="Most job batches (one per distinct set of requirements) Parasol may create."),
        _o(BATCH, "--mesosEndpoint", "--mesosMaster", dest="mesos_endpoint",
           default=f"{leader_ip()}:5050", backend=True,
           help="Host and port of the Mesos master, as HOST:PORT (needs toil-mesos)."),
        _o(BATCH, "--mesosFrameworkId", dest="mesos_framework_id",
           default=D("mesos_framework_id"), backend=True,
           help="Use this Mesos framework ID."),
        _o(BATCH, "--mesosRole", dest="mesos_role", default=D("mesos_role"), backend=True,
           help="The Mesos role to take resources from (the framework then asks for the MULTI_ROLE capability)."),
        _o(BATCH, "--mesosName", dest="mesos_name", default=D("mesos_name"), backend=True,
           help="The framework name the Mesos master shows."),
        _o(BATCH, "--kubernetesHostPath", dest="kubernetes_host_path",
           default=env("TOIL_KUBERNETES_HOST_PATH"), backend=True,
           help="Path on the Kubernetes hosts to use as the shared inter-pod temporary directory."),
        _o(BATCH, "--kubernetesOwner", dest="kubernetes_owner", default=env("TOIL_KUBERNETES_OWNER"),
           backend=True, help="User name to mark Kubernetes jobs with."),
        _o(BATCH, "--kubernetesServiceAccount", dest="kubernetes_service_account",
           default=env("TOIL_KUBERNETES_SERVICE_ACCOUNT"), backend=True,
           help="Service account to run the pods as."),
        _o(BATCH, "--kubernetesPodTimeout", dest="kubernetes_pod_timeout", type=NUMBER,
           default=parse_number(env("TOIL_KUBERNETES_POD_TIMEOUT") or D("kubernetes_pod_timeout")),
           backend=True,
           help="Seconds to wait for a scheduled Kubernetes pod to start running."),
        _o(BATCH, "--tesEndpoint", dest="tes_endpoint",
           default=env("TOIL_TES_ENDPOINT") or f"http://{leader_ip()}:8000", backend=True,
           help="The http(s) URL of the TES server."),
        _o(BATCH, "--tesUser", dest="tes_user", default=env("TOIL_TES_USER"), backend=True,
           help="User name for basic authentication to the TES server."),
        _o(BATCH, "--tesPassword", dest="tes_password", default=env("TOIL_TES_PASSWORD"), backend=True,
           help="Password for basic authentication to the TES server."),
        _o(BATCH, "--tesBearerToken", dest="tes_bearer_token", default=env("TOIL_TES_BEARER_TOKEN"),
           backend=True, help="Bearer token for authentication to the TES server."),
        _o(BATCH, "--awsBatchRegion", dest="aws_batch_region", default=env("TOIL_AWS_REGION"),
           backend=True, help="The AWS region of the AWS Batch queue to submit to."),
        _o(BATCH, "--awsBatchQueue", dest="aws_batch_queue", default=env("TOIL_AWS_BATCH_QUEUE"),
           backend=True, help="Name or ARN of the AWS Batch queue to submit to."),
        _o(BATCH, "--awsBatchJobRoleArn", dest="aws_batch_job_role_arn",
           default=env("TOIL_AWS_BATCH_JOB_ROLE_ARN"), backend=True,
           help="ARN of an IAM role to run AWS Batch jobs as (so they can reach the job store); "
                "ecs-tasks.amazonaws.com must be able to assume it."),
        # ---- storage ----------------------------------------------------------------------
        _o(STORAGE, "--linkImports", dest="linkImports", action="store_true", default=D("linkImports"),
           help="File job store: symlink imported local files instead of copying them (the "
                "default). With caching, linked files are made read-only to protect them."),
        _o(STORAGE, "--noLinkImports", dest="linkImports", action="store_false", default=D("linkImports"),
           help="File job store: copy imported local files into the job store."),
        _o(STORAGE, "--moveExports", dest="moveExports", action="store_true", default=D("moveExports"),
           help="File job store: move exported files to their destination and leave a symlink "
                "behind, instead of copying them."),
        _o(STORAGE, "--noMoveExports", dest="moveExports", action="store_false", default=D("moveExports"),
           help="File job store: copy exported files (the default)."),
        _o(STORAGE, "--caching", dest="caching", type=BOOL, default=None, metavar="BOOL",
           help="Use the caching file store (true) or not (false). It must be false for batch "
                "systems that cannot clean up after workers, such as Parasol. Default: the job "
                "store's preference."),
        _o(STORAGE, "--disableCaching", dest="caching", action="store_false", default=None,
           help="Same as --caching false."),
        # ---- autoscaling ------------------------------------------------------------------
        _o(AUTOSCALING, "--provisioner", dest="provisioner",
           default=D("provisioner"), metavar="CLOUDPROVIDER",
           help="Provisioner for autoscaling the cluster, e.g. aws or gce (from installed plugins). "
                "Default: no autoscaling."),
        _o(AUTOSCALING, "--nodeTypes", dest="nodeTypes", type=NODE_TYPES, default=None,
           metavar="NODETYPES",
           help="Comma-separated node types; each is slash-separated instance types with an "
                "optional ':BID' spot price that makes it preemptible, e.g. "
                "c5.4xlarge/c5a.4xlarge:0.42,t2.large."),
        _o(AUTOSCALING, "--minNodes", dest="minNodes", type=INT_LIST, default=None, metavar="MINNODES",
           help="Comma-separated minimum number of nodes of each node type, one per type; 0 for "
                "each type when not given."),
        _o(AUTOSCALING, "--maxNodes", dest="maxNodes", type=INT_LIST,
           default=D("maxNodes"), metavar="MAXNODES",
           help="Comma-separated maximum number of nodes of each node type; the first value is used "
                "for node types without one."),
        _o(AUTOSCALING, "--targetTime", dest="targetTime", type=NUMBER, default=D("targetTime"),
           help="Seconds in which the autoscaler aims to finish the queued jobs; shorter means more "
                "aggressive scaling."),
        _o(AUTOSCALING, "--betaInertia", dest="betaInertia", type=FLOAT, default=D("betaInertia"),
           help="Smoothing of the estimated number of nodes, between 0.0 (none) and 0.9."),
        _o(AUTOSCALING, "--scaleInterval", dest="scaleInterval", type=NUMBER, default=D("scaleInterval"),
           help="Seconds between checks of whether the cluster size should change."),
        _o(AUTOSCALING, "--preemptibleCompensation", "--preemptableCompensation",
           dest="preemptibleCompensation", type=FLOAT, default=D("preemptibleCompensation"),
           help="How much to replace preemptible nodes that cannot be started with non-preemptible "
                "ones, between 0.0 (not at all) and 1.0 (one for one)."),
        _o(AUTOSCALING, "--nodeStorage", dest="nodeStorage", type=INT, default=D("nodeStorage"),
           help="Size of the root volume of worker nodes, in gigabytes."),
        _o(AUTOSCALING, "--nodeStorageOverrides", dest="nodeStorageOverrides", type=STR_LIST, default=None,
           metavar="NODESTORAGEOVERRIDES",
           help="Comma-separated TYPE:GB pairs overriding --nodeStorage for those instance types."),
        _o(AUTOSCALING, "--metrics", dest="metrics", action="store_true", default=D("metrics"),
           help="Run the Prometheus/Grafana dashboard of CPU/memory usage, queue size and issued jobs."),
        _o(AUTOSCALING, "--assumeZeroOverhead", dest="assumeZeroOverhead", action="store_true",
           default=D("assumeZeroOverhead"),
           help="When packing jobs onto nodes, assume jobs can use every byte of memory and disk "
                "(ignore scheduler and OS overhead)."),
        # ---- services ---------------------------------------------------------------------
        _o(SERVICES, "--maxServiceJobs", dest="maxServiceJobs", type=INT, default=D("maxServiceJobs"),
           help="Most service jobs to run at once, not counting those on preemptible nodes."),
        _o(SERVICES, "--maxPreemptibleServiceJobs", "--maxPreemptableServiceJobs",
           dest="maxPreemptibleServiceJobs", type=INT, default=D("maxPreemptibleServiceJobs"),
           help="Most service jobs to run at once on preemptible nodes."),
        _o(SERVICES, "--deadlockWait", dest="deadlockWait", type=NUMBER, default=D("deadlockWait"),
           help="Seconds to tolerate the workflow running only the same service jobs, with no jobs "
                "using them, before declaring a deadlock."),
        _o(SERVICES, "--deadlockCheckInterval", dest="deadlockCheckInterval", type=NUMBER,
           default=D("deadlockCheckInterval"),
           help="Seconds between checks for a service deadlock; should be shorter than --deadlockWait."),
        # ---- resources --------------------------------------------------------------------
        _o(RESOURCES, "--defaultMemory", dest="defaultMemory", type=SIZE,
           default=D("defaultMemory"), metavar="INT",
           help="Memory for jobs that do not ask for an amount; suffixes such as K, Ki, M, Mi, G or "
                "Gi work."),
        _o(RESOURCES, "--defaultCores", dest="defaultCores", type=NUMBER,
           default=D("defaultCores"), metavar="FLOAT",
           help="CPU cores for jobs that do not ask for a number; fractions (e.g. 0.1) work on some "
                "batch systems such as single_machine."),
        _o(RESOURCES, "--defaultDisk", dest="defaultDisk", type=SIZE, default=D("defaultDisk"), metavar="INT",
           help="Disk space for jobs that do not ask for an amount; suffixes such as K, Ki, M, Mi, G "
                "or Gi work."),
        _o(RESOURCES, "--defaultAccelerators", dest="defaultAccelerators", type=ACCELERATORS,
           default=D("defaultAccelerators"),
           metavar="ACCELERATOR",
           help="Accelerators for jobs that do not ask for any: comma-separated TYPE[:COUNT], where "
                "TYPE is gpu (default), nvidia, amd, cuda, rocm, opencl or a model such as "
                "nvidia-tesla-k80, and COUNT defaults to 1."),
        _o(RESOURCES, "--defaultPreemptible", "--defaultPreemptable", dest="defaultPreemptible",
           type=BOOL, nargs="?", const=True, default=D("defaultPreemptible"), metavar="BOOL",
           help="Let jobs that do not say otherwise run on preemptible (spot) nodes."),
        _o(RESOURCES, "--maxCores", dest="maxCores", type=NUMBER, default=D("maxCores"), metavar="INT",
           help="Most CPU cores to request from the batch system at any one time."),
        _o(RESOURCES, "--maxMemory", dest="maxMemory", type=SIZE, default=D("maxMemory"), metavar="INT",
           help="Most memory to request from the batch system at any one time; suffixes work."),
        _o(RESOURCES, "--maxDisk", dest="maxDisk", type=SIZE, default=D("maxDisk"), metavar="INT",
           help="Most disk space to request from the batch system at any one time; suffixes work."),
        # ---- rescue -----------------------------------------------------------------------
        _o(RESCUE, "--retryCount", dest="retryCount", type=INT, default=D("retryCount"),
           help="Times to retry a failing job before marking it failed."),
        _o(RESCUE, "--enableUnlimitedPreemptibleRetries", "--enableUnlimitedPreemptableRetries",
           dest="enableUnlimitedPreemptibleRetries", action="store_true",
           default=D("enableUnlimitedPreemptibleRetries"),
           help="Failures from preemption or a lost instance do not count against --retryCount."),
        _o(RESCUE, "--doubleMem", dest="doubleMem", action="store_true", default=D("doubleMem"),
           help="Retry jobs the scheduler killed for exceeding their memory with twice the memory "
                "(using up one retry). LSF only."),
        _o(RESCUE, "--maxJobDuration", dest="maxJobDuration", type=NUMBER, default=D("maxJobDuration"),
           help="Seconds a job may run before it is killed (a lower bound: killing may come later)."),
        _o(RESCUE, "--rescueJobsFrequency", dest="rescueJobsFrequency", type=NUMBER,
           default=D("rescueJobsFrequency"),
           help="Seconds between checks for jobs lost by the batch system or running too long. "
                "Expert option."),
        # ---- misc -------------------------------------------------------------------------
        _o(MISC, "--disableChaining", dest="disableChaining", action="store_true",
           default=D("disableChaining"),
           help="Do not chain jobs (run a successor in its predecessor's resource allocation)."),
        _o(MISC, "--disableJobStoreChecksumVerification", dest="disableJobStoreChecksumVerification",
           action="store_true", default=D("disableJobStoreChecksumVerification"),
           help="Skip checksum verification of files moved to and from the job store (currently "
                "only done for non-streaming AWS files)."),
        _o(MISC, "--sseKey", dest="sseKey", default=D("sseKey"),
           help="Path to a file holding a 32 character key. The AWS and Google job stores use it for "
                "server-side encryption; the file job store (and any store with "
                "--clientSideEncryption) encrypts everything it holds with it (needs "
                "toil-core[encryption])."),
        _o(MISC, "--clientSideEncryption", dest="clientSideEncryption", action="store_true",
           default=D("clientSideEncryption"),
           help="Encrypt everything the job store holds with the --sseKey key before it leaves this "
                "machine, on any job store (in addition to server-side encryption where the store "
                "has it). Needs toil-core[encryption]."),
        _o(MISC, "--setEnv", "-e", dest="environment", action="append",
           default=[],  # items, appended to; Config turns them into its dict
           metavar="NAME=VALUE or NAME",
           help="Set an environment variable early in each worker; a bare NAME takes the value from "
                "the current environment. May be repeated."),
        _o(MISC, "--servicePollingInterval", dest="servicePollingInterval", type=NUMBER,
           default=D("servicePollingInterval"),
           help="Seconds service jobs wait between checks that their keep-alive flag still exists."),
        _o(MISC, "--forceDockerAppliance", dest="forceDockerAppliance", action="store_true",
           default=D("forceDockerAppliance"),
           help="Do not check that the Docker image in TOIL_APPLIANCE_SELF exists."),
        _o(MISC, "--statusWait", dest="statusWait", type=NUMBER, default=D("statusWait"),
           help="Seconds between reports of the running jobs."),
        _o(MISC, "--disableProgress", dest="disableProgress", action="store_true",
           default=D("disableProgress"),
           help="Do not show the progress bar when standard error is a terminal."),
        _o(MISC, "--readGlobalFileMutableByDefault", dest="readGlobalFileMutableByDefault",
           action="store_true", default=D("readGlobalFileMutableByDefault"),
           help="Make readGlobalFile return writable copies unless a job asks otherwise."),
        # ---- debug ------------------------------------------------------------------------
        _o(DEBUG, "--debugWorker", dest="debugWorker", action="store_true", default=D("debugWorker"),
           help="Run jobs without forking workers and without redirecting their output, so a "
                "debugger works (single_machine only)."),
        _o(DEBUG, "--disableWorkerOutputCapture", dest="disableWorkerOutputCapture", action="store_true",
           default=D("disableWorkerOutputCapture"),
           help="Let worker output go to the worker's standard output/error instead of per-job logs."),
        _o(DEBUG, "--badWorker", dest="badWorker", type=FLOAT, default=D("badWorker"),
           help="For testing: the fraction of workers to kill with SIGKILL."),
        _o(DEBUG, "--badWorkerFailInterval", dest="badWorkerFailInterval", type=FLOAT,
           default=D("badWorkerFailInterval"),
           help="For testing: kill bad workers at a random time within this many seconds of starting."),
        _o(DEBUG, "--kill_polling_interval", dest="kill_polling_interval", type=NUMBER,
           default=D("kill_polling_interval"),
           help="Seconds between the leader's checks for a kill flag set by 'toil kill'."),
    ]
