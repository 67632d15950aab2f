"""What an explicit ``None`` given to an input with a default means: from WDL 1.1 it overrides the
default of an input declared optional (the spec's ``optional_with_default`` example); in WDL 1.0, and
for an input whose type is not optional, it means "use the default"."""
from __future__ import annotations

import json
import subprocess

import pytest

from conftest import runner_command, wdl_env

pytestmark = pytest.mark.timeout(300)

WORKFLOW = """version {version}

task say_hello {{
  input {{
    String name
    String? salutation = "hello"
    String punctuation = "!"
  }}
  command <<< >>>
  output {{
    String greeting = (if defined(salutation) then "~{{salutation}} ~{{name}}" else name) + punctuation
  }}
}}

workflow nulls {{
  input {{
    String name = "John"
    String? nothing
  }}
  call say_hello as defaulted {{ input: name = name }}
  call say_hello as nulled {{ input: name = name, salutation = {none}, punctuation = {none} }}
  output {{
    String with_default = defaulted.greeting
    String with_null = nulled.greeting
  }}
}}
"""


def _run(tmp_path, version: str, none: str) -> dict:
    wdl = tmp_path / "nulls.wdl"
    wdl.write_text(WORKFLOW.format(version=version, none=none))
    proc = subprocess.run(runner_command() + ["--jobStore", f"file:{tmp_path / 'store'}", "--retryCount", "0",
                                              "-o", str(tmp_path / "out"), str(wdl)],
                          cwd=tmp_path, env=wdl_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-6000:]
    return json.loads(proc.stdout)


def test_wdl_1_1_none_overrides_an_optional_inputs_default(tmp_path):
    result = _run(tmp_path, "1.1", "None")
    assert result["nulls.with_default"] == "hello John!"
    assert result["nulls.with_null"] == "John!"  # punctuation is not optional: None means its default


def test_wdl_1_1_an_unset_optional_is_none_too(tmp_path):
    assert _run(tmp_path, "1.1", "nothing")["nulls.with_null"] == "John!"


def test_wdl_1_0_none_means_the_default(tmp_path):
    result = _run(tmp_path, "1.0", "nothing")  # 1.0 has no None literal: an unset optional
    assert result["nulls.with_null"] == "hello John!"
