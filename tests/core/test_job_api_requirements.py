"""Job resource requirements: parsing of memory/disk/cores/preemptible/accelerators and names.

All in-process: building Job objects needs no job store.
"""
import pytest

from toil.job import Job, Requirer


def fn(x):
    return x


# ---------------------------------------------------------------- memory / disk
@pytest.mark.parametrize(
    "value, expected",
    [
        (1000, 1000),
        (0, 0),
        ("2G", 2 * 1000**3),
        ("2Gi", 2 * 1024**3),
        ("1024 Mib", 1024 * 1024**2),
        ("100k", 100 * 1000),
        ("100Ki", 100 * 1024),
        ("512", 512),
    ],
)
def test_memory_accepts_ints_and_human_strings(value, expected):
    assert Job(memory=value).memory == expected


@pytest.mark.parametrize("value, expected", [(4096, 4096), ("3G", 3 * 1000**3), ("1 GiB", 1024**3)])
def test_disk_accepts_ints_and_human_strings(value, expected):
    assert Job(disk=value).disk == expected


@pytest.mark.parametrize("name", ["memory", "disk"])
def test_float_memory_or_disk_is_a_type_error(name):
    with pytest.raises(TypeError):
        Job(**{name: 1.5})


@pytest.mark.parametrize("name", ["memory", "disk"])
def test_negative_memory_or_disk_is_rejected(name):
    with pytest.raises(ValueError):
        Job(**{name: -1})


def test_memory_setter_parses_strings():
    job = Job()
    job.memory = "1Mi"
    assert job.memory == 1024 * 1024


# ---------------------------------------------------------------- cores
@pytest.mark.parametrize("value, expected", [(2, 2), (0.5, 0.5), ("0.5", 0.5), ("3", 3), (0.1, 0.1)])
def test_cores_accept_fractions_and_strings(value, expected):
    cores = Job(cores=value).cores
    assert cores == expected


@pytest.mark.parametrize("value", [0, -1, "lots"])
def test_bad_cores_are_rejected(value):
    with pytest.raises(ValueError):
        Job(cores=value)


# ---------------------------------------------------------------- preemptible
@pytest.mark.parametrize(
    "value, expected",
    [(True, True), (False, False), (1, True), (0, False), ("true", True), ("TRUE", True),
     ("False", False), ("false", False)],
)
def test_preemptible_accepts_bools_ints_and_strings(value, expected):
    assert Job(preemptible=value).preemptible is expected


@pytest.mark.parametrize("value", [True, "true", 1])
def test_legacy_preemptable_keyword_sets_preemptible(value):
    job = Job(preemptable=value)
    assert job.preemptible is True
    assert job.preemptable is True


def test_preemptible_wins_over_legacy_preemptable():
    assert Job(preemptible=False, preemptable=True).preemptible is False


@pytest.mark.parametrize("value", ["maybe", 2])
def test_bad_preemptible_is_rejected(value):
    with pytest.raises(ValueError):
        Job(preemptible=value)


# ---------------------------------------------------------------- accelerators
@pytest.mark.parametrize(
    "value, expected",
    [
        (1, [{"count": 1, "kind": "gpu"}]),
        ("gpu", [{"count": 1, "kind": "gpu"}]),
        ("1", [{"count": 1, "kind": "gpu"}]),
        ("cuda:1", [{"count": 1, "kind": "gpu", "api": "cuda", "brand": "nvidia"}]),
        ("nvidia-tesla-k80:2", [{"count": 2, "kind": "gpu", "model": "nvidia-tesla-k80", "brand": "nvidia"}]),
        ({"kind": "gpu", "count": 2, "brand": "nvidia"}, [{"count": 2, "kind": "gpu", "brand": "nvidia"}]),
        (["gpu", {"kind": "gpu", "count": 3}], [{"count": 1, "kind": "gpu"}, {"count": 3, "kind": "gpu"}]),
    ],
)
def test_accelerator_forms(value, expected):
    assert Job(accelerators=value).accelerators == expected


def test_no_accelerators_by_default():
    assert Job().accelerators == []


# ---------------------------------------------------------------- defaults without a config
def test_unset_requirements_use_builtin_defaults_before_a_config_is_assigned():
    job = Job()
    assert job.memory == 2 * 1024**3
    assert job.disk == 2 * 1024**3
    assert job.cores == 1
    assert job.preemptible is False


def test_unset_requirements_come_from_the_assigned_config():
    class FakeConfig:
        defaultMemory = 123
        defaultDisk = 456
        defaultCores = 0.25
        defaultPreemptible = True
        defaultAccelerators = ["gpu"]

    job = Job(memory=7)
    job.assignConfig(FakeConfig())
    assert job.memory == 7  # explicit value kept
    assert job.disk == 456
    assert job.cores == 0.25
    assert job.preemptible is True
    assert job.accelerators == [{"count": 1, "kind": "gpu"}]


def test_requirements_dict_and_string():
    job = Job(memory=10, cores=2, disk=20, preemptible=True)
    assert job.requirements == {
        "memory": 10, "cores": 2, "disk": 20, "accelerators": [], "preemptible": True,
    }
    text = job.requirements_string()
    assert "memory: 10" in text and "cores: 2" in text and "disk: 20" in text


def test_requirer_scale_returns_scaled_copy():
    req = Requirer(memory=100, cores=2, disk=50)
    scaled = req.scale("cores", 0.5)
    assert scaled.cores == 1
    assert scaled.memory == 100
    assert req.cores == 2  # original untouched


def test_service_takes_requirements():
    class S(Job.Service):
        def start(self, job):
            return None

        def stop(self, job):
            pass

    service = S(memory="1G", cores=0.5, disk=7, preemptible="true", unitName="svc")
    assert (service.memory, service.cores, service.disk, service.preemptible) == (10**9, 0.5, 7, True)
    assert service.unitName == "svc"


# ---------------------------------------------------------------- names
def test_job_names_default_to_the_class_name():
    class Foo(Job):
        pass

    job = Foo()
    assert job.jobName == "Foo"
    assert job.displayName == "Foo"
    assert job.unitName == ""


def test_unit_and_display_names_are_kept():
    job = Job(unitName="unit-7", displayName="Pretty")
    assert job.unitName == "unit-7"
    assert job.displayName == "Pretty"
    assert job.jobName == "Job"
    assert "unit-7" in str(job)


def test_wrapped_function_name_is_the_job_name():
    job = Job.wrapFn(fn, 1)
    assert job.jobName == "fn"
    assert job.displayName == "fn"


def test_name_keyword_becomes_unit_name():
    job = Job.wrapFn(fn, 1, name="first")
    assert job.unitName == "first"
    assert job._kwargs == {}


def test_checkpoint_and_local_flags():
    assert Job(checkpoint=True).checkpoint is True
    assert Job().checkpoint is False
    assert Job(local=True).local is True


def test_unsaved_job_store_id_is_temporary():
    from toil.job import TemporaryID

    assert isinstance(Job().jobStoreID, TemporaryID)
