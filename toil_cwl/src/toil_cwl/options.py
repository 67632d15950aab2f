"""The toil-cwl-runner command line: every Toil option plus the cwltool options that apply.

``toil-cwl-runner [options] WORKFLOW.cwl [INPUTS.yml | --input-name value ...]``

Options must come before the workflow: what follows it is the input object (a file) or the
workflow's own inputs as ``--name value`` pairs, as with cwltool.
"""
from __future__ import annotations

import argparse
import logging
import os
from typing import Any, Dict, List, Optional

from toil_core.plugin_api import add_argument_if_absent, add_options

__all__ = ["RUNTIME_KEYS", "make_parser", "parse_args", "runtime_settings"]

USAGE = "toil-cwl-runner [options] WORKFLOW.cwl [INPUTS.yml]"

#: cwltool RuntimeContext fields copied from the command line into every job.
RUNTIME_KEYS = (
    "use_container", "singularity", "podman", "user_space_docker_cmd", "no_match_user",
    "no_read_only", "custom_net", "preserve_environment", "preserve_entire_environment",
    "force_docker_pull", "strict_memory_limit", "strict_cpu_limit", "eval_timeout", "debug",
    "js_console", "default_container", "compute_checksum", "log_dir", "cidfile_dir",
    "cidfile_prefix", "rm_container", "relax_path_checks",
)


def _cwl_options(parser: argparse.ArgumentParser) -> None:
    add = add_argument_if_absent
    g = parser.add_argument_group("CWL options", "Options of cwltool that toil-cwl-runner accepts.")
    add(g, "--outdir", dest="outdir", default=os.getcwd(),
        help="Directory the final File and Directory outputs are written to.")
    add(g, "--destBucket", dest="destBucket", default=None,
        help="Export the final outputs to this URL prefix (any scheme the job store can export to, "
             "e.g. s3://bucket/path) instead of --outdir.")
    add(g, "--version", dest="version", action="store_true", default=False,
        help="Print the versions of toil-cwl, toil-core and cwltool and exit.")
    add(g, "--validate", dest="validate", action="store_true", default=False,
        help="Only validate the CWL document (and the inputs, if given), then exit.")
    add(g, "--not-strict", dest="strict", action="store_false", default=True,
        help="Ignore unknown fields in CWL documents instead of failing validation.")
    add(g, "--strict", dest="strict", action="store_true", default=True, help=argparse.SUPPRESS)
    add(g, "--enable-dev", dest="enable_dev", action="store_true", default=False,
        help="Enable loading and running unofficial development versions of the CWL standards.")
    add(g, "--enable-ext", dest="enable_ext", action="store_true", default=False,
        help="Enable loading and running cwltool's extensions to the CWL standards.")
    add(g, "--quiet", dest="quiet", action="store_true", default=False,
        help="Only show warnings and errors from cwltool (and Toil, unless --logLevel is given).")
    add(g, "--debug", dest="debug", action="store_true", default=False,
        help="Print cwltool's debugging output, including tracebacks.")
    add(g, "--basedir", dest="basedir", default=None,
        help="Base directory for relative paths in the input object (default: its directory).")
    add(g, "--disable-validate", dest="do_validate", action="store_false", default=True,
        help="Skip the schema validation of the CWL document.")
    add(g, "--fast-parser", dest="fast_parser", action="store_true", default=False,
        help="Use cwltool's experimental fast parser.")
    add(g, "--disable-js-validation", dest="disable_js_validation", action="store_true", default=False,
        help="Do not check JavaScript expressions when loading the document.")
    add(g, "--js-console", dest="js_console", action="store_true", default=False,
        help="Show the console output of JavaScript expressions.")
    add(g, "--eval-timeout", dest="eval_timeout", type=float, default=60,
        help="Seconds to wait for a JavaScript expression to evaluate.")
    add(g, "--overrides", dest="overrides", default=None,
        help="Read process requirement overrides from this file.")
    add(g, "--relax-path-checks", dest="relax_path_checks", action="store_true", default=False,
        help="Relax the checks on the characters allowed in output file names.")
    add(g, "--compute-checksum", dest="compute_checksum", action="store_true", default=True,
        help="Compute the sha1 checksum of output files (the default).")
    add(g, "--no-compute-checksum", dest="compute_checksum", action="store_false", default=True,
        help="Do not compute checksums of output files.")
    add(g, "--disable-streaming", dest="disable_streaming", action="store_true", default=False,
        help="Never stream input files marked streamable (files are always copied locally here).")
    add(g, "--bypass-file-store", dest="bypass_file_store", action="store_true", default=False,
        help="Not supported by this runner: intermediate files always go through the job store.")
    add(g, "--tmpdir-prefix", dest="tmpdir_prefix", default=None,
        help="Path prefix for the tools' temporary directories (default: inside each job's "
             "temporary directory under --workDir).")
    add(g, "--tmp-outdir-prefix", dest="tmp_outdir_prefix", default=None,
        help="Path prefix for the tools' intermediate output directories (default: inside each "
             "job's temporary directory).")
    add(g, "--scatter-batch-size", dest="scatter_batch_size", type=int, default=50,
        help="Run up to this many elements of a scattered CommandLineTool or ExpressionTool one "
             "after another in one job, when the scatter has more elements than four per job slot "
             "the batch system offers (saves the per-job costs on big scatters of short tools; a "
             "failed element fails its batch, which is retried whole). 1 gives every element its "
             "own job.")
    add(g, "--log-dir", dest="log_dir", default="",
        help="Write the standard output and error files of the tools into this directory.")

    c = parser.add_argument_group("CWL containers and environment")
    add(c, "--no-container", dest="use_container", action="store_false", default=True,
        help="Do not run tools in containers even if they ask for one (DockerRequirement).")
    add(c, "--singularity", dest="singularity", action="store_true", default=False,
        help="Run Docker-format containers with Singularity.")
    add(c, "--podman", dest="podman", action="store_true", default=False,
        help="Run Docker-format containers with Podman.")
    add(c, "--user-space-docker-cmd", dest="user_space_docker_cmd", default=None,
        help="A user-space Docker replacement (e.g. udocker) to run containers with.")
    add(c, "--default-container", dest="default_container", default=None,
        help="Container image for tools that do not name one.")
    add(c, "--leave-container", dest="rm_container", action="store_false", default=True,
        help="Do not delete the containers of tools after they run.")
    add(c, "--force-docker-pull", dest="force_docker_pull", action="store_true", default=False,
        help="Pull container images even if they are present locally.")
    add(c, "--no-match-user", dest="no_match_user", action="store_true", default=False,
        help="Do not pass the user's uid to docker run.")
    add(c, "--no-read-only", dest="no_read_only", action="store_true", default=False,
        help="Do not make the container's root file system read-only.")
    add(c, "--custom-net", dest="custom_net", default=None,
        help="Docker network to attach containers to when NetworkAccess is granted.")
    add(c, "--strict-memory-limit", dest="strict_memory_limit", action="store_true", default=False,
        help="Pass the requested memory to the container engine as a hard limit.")
    add(c, "--strict-cpu-limit", dest="strict_cpu_limit", action="store_true", default=False,
        help="Pass the requested cores to the container engine as a hard limit.")
    add(c, "--record-container-id", dest="record_container_id", action="store_true", default=False,
        help="Record the ids of the containers in --cidfile-dir.")
    add(c, "--cidfile-dir", dest="cidfile_dir", default=None, help="Directory for container id files.")
    add(c, "--cidfile-prefix", dest="cidfile_prefix", default=None, help="Prefix of container id files.")
    add(c, "--preserve-environment", dest="preserve_environment", action="append", default=None,
        metavar="ENVVAR", help="Pass this environment variable through to tools (repeatable).")
    add(c, "--preserve-entire-environment", dest="preserve_entire_environment", action="store_true",
        default=False, help="Pass the whole environment through to tools.")
    add(c, "--beta-dependency-resolvers-configuration", dest="beta_dependency_resolvers_configuration",
        default=None, help="Dependency resolvers configuration file for SoftwareRequirement.")
    add(c, "--beta-dependencies-directory", dest="beta_dependencies_directory", default=None,
        help="Where SoftwareRequirement dependencies are installed.")
    add(c, "--beta-use-biocontainers", dest="beta_use_biocontainers", action="store_true", default=False,
        help="Use BioContainers images for tools with SoftwareRequirement and no container.")
    add(c, "--beta-conda-dependencies", dest="beta_conda_dependencies", action="store_true", default=False,
        help="Resolve SoftwareRequirement with Conda.")
    add(c, "--mpi-config-file", dest="mpi_config_file", default=None,
        help="MPI launcher configuration (YAML) for tools with MPIRequirement.")

    p = parser.add_argument_group("CWL provenance (not supported by this runner)")
    for flag, dest in (("--provenance", "provenance"), ("--orcid", "orcid"),
                       ("--full-name", "cwl_full_name")):
        add(p, flag, dest=dest, default=None, help=argparse.SUPPRESS)
    for flag, maybe_dest in (("--enable-user-provenance", "user_provenance"), ("--disable-user-provenance", None),
                             ("--enable-host-provenance", "host_provenance"), ("--disable-host-provenance", None)):
        add(p, flag, dest=maybe_dest or flag.lstrip("-").replace("-", "_"), action="store_true", default=False,
            help=argparse.SUPPRESS)

    parser.add_argument("workflow", metavar="WORKFLOW.cwl", nargs="?", default=None,
                        help="The CWL document to run (a path or URL, optionally with #process).")
    parser.add_argument("job_order", metavar="INPUTS", nargs=argparse.REMAINDER,
                        help="The input object (YAML or JSON file), or the workflow's inputs as "
                             "--name value options.")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toil-cwl-runner", usage=USAGE,
                                     description="Run a Common Workflow Language (v1.0, v1.1, v1.2) "
                                                 "tool or workflow with Toil.",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_options(parser, jobstore_as_flag=True)
    _cwl_options(parser)
    return parser


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = make_parser()
    args = parser.parse_args(argv)
    # Fill in every other cwltool option with cwltool's default, for its helper functions.
    from cwltool.argparser import get_default_args

    for key, value in get_default_args().items():
        if not hasattr(args, key):
            setattr(args, key, value)
    args.outdir = os.path.abspath(args.outdir)
    if args.record_container_id and not args.cidfile_dir:
        args.cidfile_dir = os.getcwd()
    return args


def runtime_settings(args: argparse.Namespace, input_basedir: str) -> Dict[str, Any]:
    """What jobs need from the command line (picklable; kept with the workflow in the job store)."""
    runtime = {key: getattr(args, key, None) for key in RUNTIME_KEYS}
    runtime["streaming_allowed"] = False
    runtime["log_dir"] = os.path.abspath(args.log_dir) if args.log_dir else ""
    return {
        "runtime": runtime,
        "basedir": input_basedir,
        "tmpdir_prefix": os.path.abspath(args.tmpdir_prefix) if args.tmpdir_prefix else None,
        "tmp_outdir_prefix": os.path.abspath(args.tmp_outdir_prefix) if args.tmp_outdir_prefix else None,
        "beta_dependency_resolvers_configuration": args.beta_dependency_resolvers_configuration,
        "beta_conda_dependencies": args.beta_conda_dependencies,
        "beta_dependencies_directory": args.beta_dependencies_directory,
        "beta_use_biocontainers": args.beta_use_biocontainers,
        "mpi_config_file": args.mpi_config_file,
        "internal_on_workers": bool(getattr(args, "run_local_jobs_on_workers", False)),
        "scatter_batch_size": max(1, int(getattr(args, "scatter_batch_size", 1) or 1)),
        # cwltool's logger level in the jobs: as on the leader (None: cwltool's own, INFO).
        "cwl_log_level": logging.DEBUG if args.debug else (logging.WARNING if args.quiet else None),
    }
