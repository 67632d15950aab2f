"""Behaviour of the upstream helper names scripts import: ``toil.toilPackageDirPath``, ``toil.version``,
``toil.lib.iterables``, ``toil.lib.exceptions``, ``toil.lib.retry``, ``toil.lib.aws`` and friends."""
import logging
import os
import subprocess
import sys

import pytest


def test_toil_package_dir_path_is_the_toil_package():
    import toil

    path = toil.toilPackageDirPath()
    assert path.endswith("/toil")
    assert os.path.isfile(os.path.join(path, "__init__.py"))
    assert os.path.samefile(path, os.path.dirname(toil.__file__))


def test_version_names_the_running_python():
    from toil import version

    assert version.exactPython == f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert version.python == version.exactPython
    assert version.baseVersion == version.distVersion and version.dirty is False


def test_concat_chains_iterables_but_not_strings_or_protected_arguments():
    from toil.lib.iterables import concat

    assert list(concat(-1, (x * 2 for x in range(3)), -1)) == [-1, 0, 2, 4, -1]
    assert list(concat("ab", 1)) == ["ab", 1]
    assert list(concat(1, concat([2]), 3)) == [1, [2], 3]
    assert list(concat(1, concat([2], 3), 4)) == [1, 2, 3, 4]
    assert list(concat(concat())) == []


def test_flatten_goes_one_level_and_keeps_strings_whole():
    from toil.lib.iterables import flatten

    assert list(flatten([[1, [2]], "ab", (3,)])) == [1, [2], "ab", 3]


def test_panic_reraises_the_primary_error_after_a_failing_cleanup(caplog):
    from toil.lib.exceptions import panic

    log = logging.getLogger("test.panic")
    with pytest.raises(KeyError, match="primary"):
        try:
            raise KeyError("primary")
        except KeyError:
            with panic(log):
                raise ValueError("cleanup failed")
    assert "cleanup failed" in caplog.text


def test_raise_keeps_the_given_traceback():
    from toil.lib.exceptions import raise_

    try:
        raise RuntimeError("first")
    except RuntimeError as error:
        saved = (type(error), error, error.__traceback__)
    with pytest.raises(RuntimeError) as info:
        raise_(*saved)
    assert info.value is saved[1]


def test_retry_flaky_test_reruns_a_failed_assertion(monkeypatch):
    import toil_core.lib.retry as retry_module
    from toil.lib.retry import retry_flaky_test

    sleeps = []
    monkeypatch.setattr(retry_module.time, "sleep", sleeps.append)
    calls = []

    @retry_flaky_test
    def sometimes():
        calls.append(1)
        assert len(calls) >= 3

    sometimes()
    assert len(calls) == 3 and sleeps == [1, 1]


def test_retry_flaky_test_does_not_retry_other_errors(monkeypatch):
    import toil_core.lib.retry as retry_module
    from toil.lib.retry import retry_flaky_test

    monkeypatch.setattr(retry_module.time, "sleep", lambda s: None)
    calls = []

    @retry_flaky_test
    def broken():
        calls.append(1)
        raise KeyError("not flaky")

    with pytest.raises(KeyError):
        broken()
    assert len(calls) == 1


def test_return_status_code_reads_an_http_error():
    import urllib.error

    from toil.lib.retry import return_status_code

    assert return_status_code(urllib.error.HTTPError("http://x", 503, "busy", {}, None)) == 503
    assert return_status_code(ValueError("no status")) == 0


def test_toil_lib_aws_imports_without_any_aws_library():
    """Code that only asks whether it runs on EC2 must not need boto3 or the AWS backend."""
    code = ("import sys\n"
            "for name in ('boto3', 'botocore', 'boto', 'toil_aws'):\n"
            "    sys.modules[name] = None  # importing any of them now fails\n"
            "from toil.lib.aws import running_on_ec2, zone_to_region, build_tag_dict_from_env\n"
            "print(type(running_on_ec2()).__name__, zone_to_region('us-west-2c'))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["bool", "us-west-2"]


@pytest.mark.parametrize("zone, region", [("us-west-1c", "us-west-1"), ("us-west-2-lax-1a", "us-west-2"),
                                          ("us-gov-west-1a", "us-gov-west-1"), ("eu-central-1b", "eu-central-1")])
def test_zone_to_region(zone, region):
    from toil.lib.aws import zone_to_region

    assert zone_to_region(zone) == region


def test_zone_from_the_environment_wins(monkeypatch):
    from toil.lib import aws

    monkeypatch.setenv("TOIL_AWS_ZONE", "eu-west-1b")
    assert aws.get_current_aws_zone() == "eu-west-1b"
    assert aws.get_current_aws_region() == "eu-west-1"


def test_zone_from_the_region_variable(monkeypatch):
    from toil.lib import aws

    monkeypatch.delenv("TOIL_AWS_ZONE", raising=False)
    monkeypatch.setenv("TOIL_AWS_REGION", "ap-south-1")
    monkeypatch.setattr(aws, "get_aws_zone_from_metadata", lambda: None)
    import toil_core.lib.aws_env as env

    monkeypatch.setattr(env, "get_aws_zone_from_metadata", lambda: None)
    assert aws.get_current_aws_zone() == "ap-south-1a"


def test_running_on_ecs_follows_the_metadata_variable(monkeypatch):
    from toil.lib.aws import running_on_ecs

    monkeypatch.delenv("ECS_CONTAINER_METADATA_URI", raising=False)
    monkeypatch.delenv("ECS_CONTAINER_METADATA_URI_V4", raising=False)
    assert running_on_ecs() is False
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", "http://127.0.0.1:1/v4")
    assert running_on_ecs() is True


def test_tags_from_the_environment():
    from toil.lib.aws import build_tag_dict_from_env

    tags = build_tag_dict_from_env({"TOIL_OWNER_TAG": "ana", "TOIL_AWS_TAGS": '{"Team": "lab", "n": 1}'})
    assert tags == {"Owner": "ana", "Team": "lab", "n": "1"}
    with pytest.raises(ValueError, match="TOIL_AWS_TAGS"):
        build_tag_dict_from_env({"TOIL_AWS_TAGS": "[1, 2]"})


@pytest.mark.parametrize("reference, parts", [
    ("quay.io/ucsc_cgl/toil:5.10.0", ("quay.io", "ucsc_cgl/toil", "5.10.0")),
    ("ubuntu", ("docker.io", "ubuntu", "latest")),
    ("library/ubuntu:22.04", ("docker.io", "library/ubuntu", "22.04")),
    ("localhost:5000/team/tool:1", ("localhost:5000", "team/tool", "1")),
])
def test_parse_docker_appliance(reference, parts):
    from toil import parseDockerAppliance

    assert parseDockerAppliance(reference) == parts


def test_an_appliance_given_as_a_url_is_refused():
    from toil import ApplianceImageNotFound, checkDockerImageExists

    with pytest.raises(ApplianceImageNotFound):
        checkDockerImageExists("https://quay.io/ucsc_cgl/toil:5.10.0")


def test_a_known_image_is_not_asked_about_again(monkeypatch):
    import toil
    import toil_core.compat_toplevel as top

    def no_network(*args):
        raise AssertionError("the registry was asked")

    monkeypatch.setattr(top, "_http_status", no_network)
    monkeypatch.setattr(top, "KNOWN_EXTANT_IMAGES", {"quay.io/me/tool:1"})
    assert toil.checkDockerImageExists("quay.io/me/tool:1") == "quay.io/me/tool:1"


def test_appliance_self_uses_the_environment(monkeypatch):
    import toil

    monkeypatch.setenv("TOIL_APPLIANCE_SELF", "quay.io/me/appliance:7")
    assert toil.applianceSelf() == "quay.io/me/appliance:7"
    monkeypatch.delenv("TOIL_APPLIANCE_SELF")
    monkeypatch.setenv("TOIL_DOCKER_REGISTRY", "example.org/lab")
    assert toil.applianceSelf().startswith("example.org/lab/toil:")


def test_custom_init_commands_refuse_quotes(monkeypatch):
    import toil

    monkeypatch.setenv("TOIL_CUSTOM_INIT_COMMAND", "echo hi")
    assert toil.customInitCmd() == "echo hi"
    monkeypatch.setenv("TOIL_CUSTOM_DOCKER_INIT_COMMAND", "echo 'x'")
    with pytest.raises(ValueError, match="quotes"):
        toil.customDockerInitCmd()


def test_batch_system_factories_load_the_plugin():
    import toil_hpc.slurm
    from toil.batchSystems.registry import slurm_batch_system_factory

    assert slurm_batch_system_factory() is toil_hpc.slurm.SlurmBatchSystem


def test_compat_bytes_recursive():
    from toil.lib.compatibility import compat_bytes, compat_bytes_recursive

    assert compat_bytes(b"x") == "x" and compat_bytes(3) == 3
    assert compat_bytes_recursive({b"k": [b"v", (b"w", 2)]}) == {"k": ["v", ("w", 2)]}


def test_safe_unpickle_from_stream():
    import io
    import pickle

    from toil.common import safeUnpickleFromStream

    assert safeUnpickleFromStream(io.BytesIO(pickle.dumps({"a": 1}))) == {"a": 1}
