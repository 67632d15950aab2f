"""toil_core.plugins.settings: one attrs class gives flags, environment variables, help and defaults."""
from __future__ import annotations

import argparse
from typing import Optional, Tuple

import attrs
import pytest

from toil_core.common.config import Config, OptionError
from toil_core.plugins.settings import (
    METADATA_KEY,
    add_settings_options,
    describe_settings,
    setting,
    setting_infos,
    settings_from,
)


@attrs.frozen
class DemoSettings:
    """A backend's settings, using every feature."""

    demo_args: str = setting("", "Extra scheduler arguments.", env="TOIL_DEMO_ARGS", old_flags=("--demoArguments",))
    demo_timeout: float = setting(120.0, "Seconds to wait for a job to start.", flag="--demoPodTimeout",
                                  env="TOIL_DEMO_TIMEOUT", old_env=("DEMO_TIMEOUT",))
    demo_mode: str = setting("fast", "How jobs are started.", choices=("fast", "slow"))
    demo_verbose: bool = setting(False, "Log every scheduler call.")
    demo_queues: Tuple[str, ...] = setting((), "Queues to submit to, comma-separated.")
    demo_limit: Optional[int] = setting(None, "Most jobs at once.", type=int, metavar="N")


def parser_with_demo():
    parser = argparse.ArgumentParser(prog="demo")
    add_settings_options(parser, DemoSettings, "Demo options", "Options of the demo backend.")
    return parser


def test_setting_needs_help_and_valid_names():
    with pytest.raises(TypeError):
        setting(1, "")
    with pytest.raises(ValueError):
        setting(1, "help", flag="-x")
    with pytest.raises(ValueError):
        setting(1, "help", env="NOT A NAME")


def test_setting_is_an_attrs_field_with_metadata():
    field = attrs.fields(DemoSettings).demo_args
    assert field.default == ""
    assert field.metadata[METADATA_KEY].env == "TOIL_DEMO_ARGS"
    assert DemoSettings().demo_timeout == 120.0


def test_flags_and_destinations_come_from_field_names():
    infos = {i.name: i for i in setting_infos(DemoSettings)}
    assert infos["demo_args"].flag == "--demoArgs" and infos["demo_args"].dest == "demo_args"
    assert infos["demo_args"].flags == ("--demoArgs", "--demoArguments")
    assert infos["demo_timeout"].flag == "--demoPodTimeout"
    assert infos["demo_timeout"].env_vars == ("TOIL_DEMO_TIMEOUT", "DEMO_TIMEOUT")


def test_describe_settings_rows():
    rows = {r.name: r for r in describe_settings(DemoSettings)}
    assert list(rows) == ["demo_args", "demo_timeout", "demo_mode", "demo_verbose", "demo_queues", "demo_limit"]
    assert rows["demo_timeout"].type == "float" and rows["demo_timeout"].default == 120.0
    assert rows["demo_verbose"].type == "bool" and rows["demo_queues"].type == "list"
    assert rows["demo_mode"].choices == ("fast", "slow")
    assert rows["demo_args"].old_flags == ("--demoArguments",)
    assert all(r.help for r in rows.values())
    assert describe_settings(None) == []


def test_flags_parse_and_absent_flags_stay_absent():
    options = parser_with_demo().parse_args(["--demoArgs", "-q x", "--demoPodTimeout", "5", "--demoVerbose", "yes",
                                             "--demoQueues", "a, b", "--demoLimit", "3"])
    assert options.demo_args == "-q x" and options.demo_timeout == 5.0 and options.demo_verbose is True
    assert options.demo_queues == ("a", "b") and options.demo_limit == 3
    assert not hasattr(options, "demo_mode")  # so the environment and the default can apply


def test_old_flag_fills_the_same_value():
    assert parser_with_demo().parse_args(["--demoArguments", "old"]).demo_args == "old"


def test_bad_values_are_argparse_errors(capsys):
    with pytest.raises(SystemExit):
        parser_with_demo().parse_args(["--demoPodTimeout", "soon"])
    assert "--demoPodTimeout" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser_with_demo().parse_args(["--demoMode", "medium"])


def test_help_shows_defaults_and_environment_variables():
    text = parser_with_demo().format_help()
    assert "Options of the demo backend." in text
    assert "TOIL_DEMO_TIMEOUT" in text and "default: 120.0" in text and "--demoArguments" in text


def test_flag_beats_environment_beats_default():
    parser = parser_with_demo()
    env = {"TOIL_DEMO_ARGS": "from env", "DEMO_TIMEOUT": "7", "TOIL_DEMO_TIMEOUT": "9"}
    from_flag = settings_from(parser.parse_args(["--demoArgs", "from flag"]), DemoSettings, environ=env)
    assert from_flag.demo_args == "from flag"
    assert from_flag.demo_timeout == 9.0  # the new name wins over the old one
    from_env = settings_from(parser.parse_args([]), DemoSettings, environ={"DEMO_TIMEOUT": "7"})
    assert from_env.demo_timeout == 7.0 and from_env.demo_args == "" and from_env.demo_mode == "fast"


def test_settings_from_a_mapping_or_nothing(monkeypatch):
    monkeypatch.setenv("TOIL_DEMO_ARGS", "env value")
    assert settings_from(None, DemoSettings).demo_args == "env value"
    assert settings_from({"demo_args": "given", "demo_verbose": "off"}, DemoSettings).demo_verbose is False


def test_bad_environment_value_names_the_variable():
    with pytest.raises(OptionError, match="TOIL_DEMO_TIMEOUT"):
        settings_from(None, DemoSettings, environ={"TOIL_DEMO_TIMEOUT": "never"})


def test_config_keeps_the_settings():
    parser = parser_with_demo()
    assert Config.has_option("demo_args")
    config = Config()
    assert config.demo_args is None  # registered; "not given" until set
    config.setOptions(parser.parse_args(["--demoArgs", "kept", "--demoLimit", "4"]))
    settings = settings_from(config, DemoSettings, environ={})
    assert settings.demo_args == "kept" and settings.demo_limit == 4 and settings.demo_timeout == 120.0


def test_a_flag_the_parser_already_has_is_left_alone():
    @attrs.frozen
    class SharesCoreFlag:
        kubernetes_host_path: Optional[str] = setting(
            None, "Shared host path.", flag="--k8sHostPath", old_flags=("--kubernetesHostPath",),
            env="TOIL_KUBERNETES_HOST_PATH", dest="kubernetes_host_path")

    parser = argparse.ArgumentParser()
    parser.add_argument("--kubernetesHostPath", dest="kubernetes_host_path", default=None)
    add_settings_options(parser, SharesCoreFlag, "K8s")
    for args in (["--kubernetesHostPath", "/a"], ["--k8sHostPath", "/a"]):
        assert settings_from(parser.parse_args(args), SharesCoreFlag, environ={}).kubernetes_host_path == "/a"


def test_mutable_defaults_are_not_shared():
    @attrs.define
    class WithList:
        items: list = setting(["a"], "Items.")

    first, second = WithList(), WithList()
    first.items.append("b")
    assert second.items == ["a"]


def test_fields_without_setting_have_no_help():
    @attrs.frozen
    class Plain:
        value: int = 3

    assert describe_settings(Plain)[0].help == ""
    assert settings_from({"value": "4"}, Plain).value == 4


# --- validators: range, choices, custom (issue 22 part 4) --------------------------------------------

@attrs.frozen
class _Bounded:
    bounded_jobs: int = setting(4, "How many jobs at once.", minimum=1, maximum=64)
    bounded_mode: str = setting("fast", "The mode.", choices=("fast", "safe"))
    bounded_name: str = setting("abc", "A lowercase name.", validator=lambda v: v.islower())


@pytest.mark.parametrize("given, fragment", [
    ({"bounded_jobs": "0"}, "below the minimum, 1"),
    ({"bounded_jobs": "65"}, "above the maximum, 64"),
    ({"bounded_mode": "slow"}, "is not one of fast, safe"),
    ({"bounded_name": "ABC"}, "is not accepted"),
])
def test_values_outside_the_validators_are_refused_naming_the_flag(given, fragment):
    with pytest.raises(OptionError) as info:
        settings_from(given, _Bounded, environ={})
    assert fragment in str(info.value)
    assert "--bounded" in str(info.value)


def test_values_inside_the_validators_are_kept():
    values = settings_from({"bounded_jobs": "64", "bounded_mode": "safe", "bounded_name": "xyz"}, _Bounded,
                           environ={})
    assert (values.bounded_jobs, values.bounded_mode, values.bounded_name) == (64, "safe", "xyz")


def test_an_already_converted_value_is_validated_too():
    with pytest.raises(OptionError) as info:
        settings_from({"bounded_jobs": 100}, _Bounded, environ={})  # e.g. set on a Config by code
    assert "above the maximum" in str(info.value)


def test_the_command_line_refuses_an_out_of_range_value_and_the_help_shows_the_range(capsys):
    parser = argparse.ArgumentParser(prog="wf")
    add_settings_options(parser, _Bounded, "Options of the bounded batch system")
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["--boundedJobs", "0"])
    assert info.value.code == 2
    assert "below the minimum, 1" in capsys.readouterr().err
    assert "range: 1 <= value <= 64" in " ".join(parser.format_help().split())
