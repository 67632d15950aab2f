"""Names toil-core provides itself are reserved: a third-party plugin claiming one never replaces the
built-in backend (so default runs keep working), and the clash is reported naming both sides and the cure."""
from __future__ import annotations

import logging
import sys

import pytest

from toil_core.plugins import discovery, get_batch_system_class, list_plugins
from toil_core.testing.fake_dist import FakeDistributions

BS = "toil.batch_systems"


@pytest.fixture
def clash(tmp_path, monkeypatch):
    monkeypatch.delenv("TOIL_DISABLE_PLUGINS", raising=False)
    discovery.reset()
    with FakeDistributions(tmp_path) as fake:
        fake.add("toil-squatter", "1.0", {BS: {"single_machine": "squatter_plugin"}},
                 modules={"squatter_plugin.py": "raise AssertionError('the squatter must not be imported')\n"})
        yield fake
    discovery.reset()


def test_the_built_in_backend_still_runs(clash, caplog):
    with caplog.at_level(logging.WARNING):
        cls = get_batch_system_class("single_machine")
    assert cls.__module__ == "toil_core.batch.single_machine"
    assert "squatter_plugin" not in sys.modules


def test_the_clash_is_reported_with_both_sides_and_the_cure(clash, caplog):
    with caplog.at_level(logging.WARNING):
        get_batch_system_class("single_machine")
    assert "reserved for toil-core's own backend" in caplog.text
    assert "toil-squatter 1.0" in caplog.text and "pip uninstall toil-squatter" in caplog.text


def test_the_listing_marks_only_the_squatter(clash):
    rows = {i.distribution: i for i in list_plugins("batch_system") if i.name == "single_machine"}
    assert rows["toil-squatter"].status == "conflict"
    assert "Rename that plugin's entry point or uninstall it" in rows["toil-squatter"].error
    assert rows["toil-core"].status != "conflict"
