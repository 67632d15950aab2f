"""The toil-wdl-runner command line: every Toil option plus the WDL runner's own.

``toil-wdl-runner [options] WORKFLOW.wdl [INPUTS.json]``
"""
from __future__ import annotations

import argparse
from typing import List, Optional

from toil_core.plugin_api import add_argument_if_absent, add_options

__all__ = ["make_parser", "parse_args"]

USAGE = "toil-wdl-runner [options] WORKFLOW.wdl [INPUTS.json]"


def _wdl_options(parser: argparse.ArgumentParser) -> None:
    add = add_argument_if_absent
    g = parser.add_argument_group("WDL options", "Options of toil-wdl-runner.")
    add(g, "-i", "--input", "--inputs", dest="inputs_uri", default=None,
        help="The input object: a JSON file (path or URL) or a JSON string.")
    add(g, "-o", "--outputDirectory", "--output-directory", dest="output_directory", default=None,
        help="Directory (or URL) the workflow's output files are copied to (default: a new "
             "wdl-outputs-* directory in the current directory).")
    add(g, "-m", "--outputFile", "--output-file", dest="output_file", default=None,
        help="Also write the output object (JSON) to this file.")
    add(g, "--outputDialect", "--output-dialect", dest="output_dialect", default="cromwell",
        choices=["cromwell", "miniwdl"],
        help="The output object's shape: cromwell (the outputs only) or miniwdl ({'outputs': ..., "
             "'dir': ...}).")
    add(g, "--container", dest="container", default="auto",
        choices=["auto", "podman", "docker", "singularity", "none"],
        help="Container engine for tasks with a docker/container runtime: auto (podman or docker, when "
             "one is installed and has the image) or none (run commands on the host).")
    add(g, "--version", dest="version", action="store_true", default=False,
        help="Print the versions of toil-wdl, toil-core and miniwdl and exit.")
    parser.add_argument("wdl_uri", metavar="WORKFLOW.wdl", nargs="?", default=None,
                        help="The WDL document to run (a path or URL).")
    parser.add_argument("inputs_positional", metavar="INPUTS.json", nargs="?", default=None,
                        help="The input object (a JSON file); the same as -i.")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toil-wdl-runner", usage=USAGE,
                                     description="Run a Workflow Description Language (WDL 1.0, 1.1, draft-2) "
                                                 "workflow with Toil.",
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_options(parser, jobstore_as_flag=True)
    _wdl_options(parser)
    return parser


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    args = make_parser().parse_args(argv)
    if args.inputs_positional and args.inputs_uri:
        make_parser().error("give the inputs once: either INPUTS.json or -i/--input")
    args.inputs_uri = args.inputs_uri or args.inputs_positional
    return args
