"""Parse twice: the chosen backend's settings become options; unknown backends say what to install."""
from __future__ import annotations

import copy
import json
import optparse
import subprocess
import sys
from pathlib import Path

import pytest

from toil_core.workflow.options import get_default_argument_parser
from toil_core.plugins.cli_options import add_backend_options, install_two_pass, selected_backends
from toil_core.plugins.errors import install_hint
from toil_core.testing import run_tiny_workflow, subprocess_env
from toil_core.testing.fake_dist import FakeDistributions

from hidden_distributions import env_without

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PLUGIN = '''
import attrs
from toil_core.plugins.settings import setting
from toil_core.plugins.specs import BatchSystemSpec, JobStoreSpec

@attrs.frozen
class ExampleSettings:
    example_args: str = setting("", "Extra arguments for the example scheduler.", env="TOIL_EXAMPLE_ARGS",
                                old_flags=("--exArgs",))
    example_timeout: float = setting(120.0, "Seconds to wait for a job to start.", env="TOIL_EXAMPLE_TIMEOUT")

@attrs.frozen
class ExampleStoreSettings:
    example_bucket: str = setting("toil", "Bucket to keep the job store in.", env="TOIL_EXAMPLE_BUCKET")

def toil_batch_systems():
    return [BatchSystemSpec(name="example_bs", aliases=("exampleBS",), load="example_backend:ExampleBatchSystem",
                            settings=ExampleSettings, summary="An example batch system with settings.")]

def toil_job_stores():
    return [JobStoreSpec(name="examplejs", load="example_backend:ExampleJobStore",
                         settings=ExampleStoreSettings, summary="An example job store.")]
'''

BACKEND = '''
import json, os
from toil_core.batch.single_machine import SingleMachineBatchSystem
from toil_core.jobstores.file_job_store import FileJobStore
from toil_core.plugins.settings import settings_from
from example_plugin import ExampleSettings

class ExampleBatchSystem(SingleMachineBatchSystem):
    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        settings = settings_from(config, ExampleSettings)
        out = os.environ.get("EXAMPLE_SETTINGS_OUT")
        if out:
            with open(out, "w") as handle:
                json.dump({"args": settings.example_args, "timeout": settings.example_timeout}, handle)

class ExampleJobStore(FileJobStore):
    pass
'''

OTHER = '''
from toil_core.plugins.specs import BatchSystemSpec
def toil_batch_systems():
    return [BatchSystemSpec(name="other_bs", load="other_backend:Nothing", summary="Another one.")]
'''


@pytest.fixture
def example(tmp_path):
    with FakeDistributions(tmp_path) as dists:
        dists.add("toil-example", "1.0", {"toil.batch_systems": {"example_bs": "example_plugin"},
                                          "toil.job_stores": {"examplejs": "example_plugin"}},
                  requires=["toil-core>=1.0,<2"], modules={"example_plugin.py": PLUGIN, "example_backend.py": BACKEND})
        dists.add("toil-other", "1.0", {"toil.batch_systems": {"other_bs": "other_plugin"}},
                  requires=["toil-core>=1.0,<2"], modules={"other_plugin.py": OTHER})
        yield dists


#: A well-known batch system and the distribution that provides it: the tests hide that distribution
#: from the subprocess they run (every first-party backend is installed in the development environment).
HIDDEN_BATCH_SYSTEM = ("kubernetes", "toil-k8s")


def run_without_backend(tmp_path: Path, *command: str) -> subprocess.CompletedProcess:
    """Run ``command`` as if the distribution of :data:`HIDDEN_BATCH_SYSTEM` were not installed."""
    env = env_without(subprocess_env(), tmp_path / "hidden", [HIDDEN_BATCH_SYSTEM[1]])
    return subprocess.run(list(command), cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)


def not_installed_phrase(name: str) -> str:
    """What the message says about ``name``: the pip line when a declared extra installs it,
    else that it is not available (never an extra toil-core does not declare)."""
    hint = install_hint("batch_system", name)
    return f"pip install 'toil-core[{hint[0]}]'" if hint else "is not available: it comes with toil-"


def test_selected_backend_options_are_parsed(example):
    parser = get_default_argument_parser()
    options = parser.parse_args(["file:js", "--batchSystem", "example_bs", "--exampleArgs", "-q fast"])
    assert options.example_args == "-q fast"
    assert parser.parse_args(["js", "--batchSystem", "exampleBS", "--exArgs", "old"]).example_args == "old"


def test_options_of_other_backends_are_not_accepted(example, capsys):
    with pytest.raises(SystemExit):
        get_default_argument_parser().parse_args(["js", "--exampleArgs", "x"])
    assert "--exampleArgs" in capsys.readouterr().err


def test_help_shows_the_chosen_backend_and_names_the_others(example, capsys):
    with pytest.raises(SystemExit):
        get_default_argument_parser().parse_args(["--batchSystem", "example_bs", "--help"])
    text = capsys.readouterr().out
    assert "Options of the example_bs batch system" in text
    assert "--exampleArgs" in text and "TOIL_EXAMPLE_ARGS" in text and "default: 120.0" in text
    assert "other_bs" in text and "single_machine" in text
    # shown right after the core batch system options
    assert text.index("Options of the example_bs") < text.index("Toil options for configuring storage")
    with pytest.raises(SystemExit):
        get_default_argument_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    assert "Options of the single_machine batch system" in text and "example_bs" in text
    assert "--exampleArgs" not in text


def test_job_store_scheme_selects_its_options(example):
    parser = get_default_argument_parser()
    options = parser.parse_args(["examplejs:/somewhere", "--exampleBucket", "mine"])
    assert options.example_bucket == "mine"
    assert ("job_store", "examplejs") in selected_backends(parser, ["examplejs:/x"])


PARSE = ("import sys\nfrom toil.job import Job\n"
         "Job.Runner.getDefaultArgumentParser().parse_args(sys.argv[1:])\n")


def test_unknown_batch_system_says_what_to_install(tmp_path: Path):
    name = HIDDEN_BATCH_SYSTEM[0]
    done = run_without_backend(tmp_path, sys.executable, "-c", PARSE, "js", "--batchSystem", name)
    assert done.returncode == 2, done.stderr
    assert not_installed_phrase(name) in done.stderr
    assert "invalid choice" not in done.stderr and "usage:" not in done.stderr
    helped = run_without_backend(tmp_path, sys.executable, "-c", PARSE, "--batchSystem", name, "--help")
    assert helped.returncode == 0 and not_installed_phrase(name) in " ".join(helped.stdout.split())


def test_workflow_registered_batch_system_is_not_an_error():
    from toil_core.batch.registry import (
        addBatchSystemFactory,
        restore_batch_system_plugin_state,
        save_batch_system_plugin_state,
    )

    saved = save_batch_system_plugin_state()
    try:
        addBatchSystemFactory("workflow_bs", lambda: object)
        assert get_default_argument_parser().parse_args(["js", "--batchSystem", "workflow_bs"]).batchSystem == "workflow_bs"
    finally:
        restore_batch_system_plugin_state(saved)


def test_parse_known_args_subparsers_and_copies(example):
    parser = get_default_argument_parser()
    options, rest = parser.parse_known_args(["js", "--batchSystem", "example_bs", "--exampleArgs", "a", "--zzz"])
    assert options.example_args == "a" and rest == ["--zzz"]
    duplicate = copy.deepcopy(get_default_argument_parser())
    assert duplicate.parse_args(["js", "--batchSystem", "example_bs", "--exampleTimeout", "3"]).example_timeout == 3.0
    top = __import__("argparse").ArgumentParser()
    sub = top.add_subparsers(dest="command").add_parser("run")
    from toil_core.workflow.options import add_options

    add_options(sub)
    assert top.parse_args(["run", "js", "--batchSystem", "example_bs", "--exArgs", "b"]).example_args == "b"


def test_install_two_pass_is_idempotent_and_optparse_is_left_alone(example):
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--batchSystem", default="single_machine")
    assert install_two_pass(install_two_pass(parser)) is parser
    assert parser.parse_args(["--batchSystem", "example_bs", "--exampleArgs", "z"]).example_args == "z"
    with pytest.raises(TypeError):
        install_two_pass(optparse.OptionParser())
    selected = add_backend_options(argparse.ArgumentParser(), ["--batchSystem", "nope_not_here", "-h"])
    assert selected[0].error and "nope_not_here" in selected[0].error


def test_settings_reach_the_backend_end_to_end(example, tmp_path):
    out = tmp_path / "settings.json"
    result = run_tiny_workflow(tmp_path / "run", "example_bs", extra_args=["--exArgs", "-p short"],
                               env={"EXAMPLE_SETTINGS_OUT": str(out), "TOIL_EXAMPLE_TIMEOUT": "7"})
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text()) == {"args": "-p short", "timeout": 7.0}


def test_script_with_a_batch_system_that_is_not_installed(tmp_path):
    """Item 2 of the issue, as a user sees it: a message with the pip install line, no traceback."""
    name = HIDDEN_BATCH_SYSTEM[0]
    result = run_without_backend(tmp_path, sys.executable, str(EXAMPLES / "helloWorld.py"),
                                 f"file:{tmp_path / 'js'}", "--batchSystem", name)
    assert result.returncode == 2
    assert not_installed_phrase(name) in result.stderr
    assert "Traceback" not in result.stderr and "invalid choice" not in result.stderr
    assert not (tmp_path / "js").exists()
