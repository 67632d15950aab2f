"""Tests for toil_core.lib.accelerators."""
import os
import stat

import pytest

from toil_core.lib import accelerators
from toil_core.lib.accelerators import (
    accelerator_satisfies,
    accelerators_fully_satisfy,
    parse_accelerator,
    parse_accelerator_list,
)


def test_int_spec_is_count_of_gpus():
    assert parse_accelerator(8) == {"count": 8, "kind": "gpu"}


def test_digit_string_is_count():
    assert parse_accelerator("1") == {"count": 1, "kind": "gpu"}


def test_gpu_word_is_kind():
    assert parse_accelerator("gpu") == {"count": 1, "kind": "gpu"}


def test_gpu_with_count():
    assert parse_accelerator("gpu:2") == {"count": 2, "kind": "gpu"}


def test_cuda_is_api_with_nvidia_brand():
    assert parse_accelerator("cuda:1") == {"count": 1, "kind": "gpu", "brand": "nvidia", "api": "cuda"}


def test_opencl_is_api_without_brand():
    assert parse_accelerator("opencl") == {"count": 1, "kind": "gpu", "api": "opencl"}


def test_brand_word():
    assert parse_accelerator("amd") == {"count": 1, "kind": "gpu", "brand": "amd"}


def test_model_with_brand_prefix():
    assert parse_accelerator("nvidia-tesla-k80:2") == {
        "count": 2, "kind": "gpu", "brand": "nvidia", "model": "nvidia-tesla-k80"}


def test_unknown_word_is_model():
    assert parse_accelerator("tpu-v3") == {"count": 1, "kind": "gpu", "model": "tpu-v3"}


def test_dict_gets_defaults():
    assert parse_accelerator({"kind": "gpu"}) == {"count": 1, "kind": "gpu"}


def test_dict_keeps_fields():
    expected = {"count": 5, "kind": "gpu", "brand": "nvidia"}
    assert parse_accelerator({"brand": "nvidia", "count": 5}) == expected


@pytest.mark.parametrize("bad", [0, -1, "gpu:0", "gpu:-2", "gpu:1.5", "gpu:x", "a:b:c", "", {"count": 0},
                                 {"count": "many"}, {"colour": "red"}])
def test_bad_specs_raise_value_error(bad):
    with pytest.raises(ValueError):
        parse_accelerator(bad)


@pytest.mark.parametrize("bad", [1.5, None, True, ["gpu"]])
def test_wrong_types_raise_type_error(bad):
    with pytest.raises(TypeError):
        parse_accelerator(bad)


def test_parse_list_comma_separated():
    assert parse_accelerator_list("gpu:2,nvidia-tesla-k80") == [
        {"count": 2, "kind": "gpu"},
        {"count": 1, "kind": "gpu", "brand": "nvidia", "model": "nvidia-tesla-k80"}]


def test_parse_list_empty_and_none():
    assert parse_accelerator_list(None) == [] and parse_accelerator_list("") == []


def test_parse_list_from_list():
    assert parse_accelerator_list([1, "cuda"]) == [
        {"count": 1, "kind": "gpu"}, {"count": 1, "kind": "gpu", "brand": "nvidia", "api": "cuda"}]


def test_satisfies_ignores_count():
    assert accelerator_satisfies(parse_accelerator("cuda:1"), parse_accelerator("gpu:4"))


def test_satisfies_requires_matching_brand():
    assert not accelerator_satisfies(parse_accelerator("amd"), parse_accelerator("nvidia"))


def test_satisfies_missing_field_on_candidate_fails():
    assert not accelerator_satisfies(parse_accelerator("gpu"), parse_accelerator("cuda"))


def test_satisfies_with_ignore():
    assert accelerator_satisfies(parse_accelerator("gpu"), parse_accelerator("cuda"), ignore=["api", "brand"])


def test_fully_satisfy_sums_counts():
    candidates = [parse_accelerator("cuda:1"), parse_accelerator("cuda:1")]
    assert accelerators_fully_satisfy(candidates, parse_accelerator("gpu:2"))


def test_fully_satisfy_not_enough():
    assert not accelerators_fully_satisfy([parse_accelerator("cuda:1")], parse_accelerator("gpu:2"))


def test_fully_satisfy_none_candidates():
    assert not accelerators_fully_satisfy(None, parse_accelerator("gpu"))


@pytest.fixture
def clear_caches():
    for f in (accelerators.have_working_nvidia_smi, accelerators.count_nvidia_gpus):
        f.cache_clear()
    yield
    for f in (accelerators.have_working_nvidia_smi, accelerators.count_nvidia_gpus):
        f.cache_clear()


@pytest.fixture
def fake_nvidia_smi(tmp_path, monkeypatch, clear_caches):
    script = tmp_path / "nvidia-smi"
    script.write_text("#!/bin/sh\nif [ \"$1\" = \"-L\" ]; then\n"
                      "echo 'GPU 0: Tesla K80 (UUID: GPU-a)'\necho 'GPU 1: Tesla K80 (UUID: GPU-b)'\nfi\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


def test_no_nvidia_smi_means_no_gpus(tmp_path, monkeypatch, clear_caches):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not accelerators.have_working_nvidia_smi()
    assert accelerators.count_nvidia_gpus() == 0
    assert accelerators.get_individual_local_accelerators() == []


def test_fake_nvidia_smi_counts_gpus(fake_nvidia_smi):
    assert accelerators.have_working_nvidia_smi()
    assert accelerators.count_nvidia_gpus() == 2


def test_individual_local_accelerators_each_count_one(fake_nvidia_smi):
    assert accelerators.get_individual_local_accelerators() == [
        {"count": 1, "kind": "gpu", "brand": "nvidia", "api": "cuda"}] * 2


def test_restrictive_environment_lists_numbers(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert accelerators.get_restrictive_environment_for_local_accelerators({1, 0}) == {
        "CUDA_VISIBLE_DEVICES": "0,1"}


def test_restrictive_environment_maps_through_inherited_visible_devices(fake_nvidia_smi, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    env = accelerators.get_restrictive_environment_for_local_accelerators({1})
    assert env == {"CUDA_VISIBLE_DEVICES": "5"}


def test_a_typo_of_a_known_word_is_refused():
    with pytest.raises(ValueError, match="Unknown accelerator 'gpuu' in 'gpuu': did you mean 'gpu'"):
        parse_accelerator("gpuu")
    with pytest.raises(ValueError, match="did you mean 'cuda'"):
        parse_accelerator("cdua:2")
    assert parse_accelerator("a100")["model"] == "a100"  # a model name far from every known word


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="Unknown accelerator kind 'tpu'"):
        parse_accelerator({"kind": "tpu"})


def test_assignment_uses_each_free_device_once():
    local = [parse_accelerator("cuda:1")] * 3
    assert accelerators.assign_local_accelerators([parse_accelerator("gpu:2")], local, {0, 1, 2}) == [0, 1]
    assert accelerators.assign_local_accelerators([parse_accelerator("gpu:2")], local, {2}) is None
    assert accelerators.assign_local_accelerators(
        [parse_accelerator("cuda:1"), parse_accelerator("gpu:1")], local, {1, 2}) == [1, 2]
    assert accelerators.assign_local_accelerators([parse_accelerator("rocm:1")], local, {0, 1, 2}) is None


@pytest.fixture
def fake_rocm_smi(tmp_path, monkeypatch, clear_caches):
    accelerators.count_amd_gpus.cache_clear()
    script = tmp_path / "rocm-smi"
    script.write_text("#!/bin/sh\necho '========= ROCm System Management Interface ========='\n"
                      "echo 'GPU[0]\t\t: Device ID: 0x740f'\necho 'GPU[1]\t\t: Device ID: 0x740f'\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ROCR_VISIBLE_DEVICES", raising=False)
    yield
    accelerators.count_amd_gpus.cache_clear()


def test_amd_gpus_follow_the_nvidia_ones_and_get_rocr_visible_devices(fake_rocm_smi):
    assert accelerators.get_individual_local_accelerators() == [
        {"count": 1, "kind": "gpu", "brand": "amd", "api": "rocm"}] * 2
    assert accelerators.get_restrictive_environment_for_local_accelerators([1]) == {
        "CUDA_VISIBLE_DEVICES": "", "ROCR_VISIBLE_DEVICES": "1"}
