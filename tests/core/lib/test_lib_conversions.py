"""Tests for toil_core.lib.conversions."""
import time

import pytest

from toil_core.lib.conversions import (
    BINARY_PREFIXES,
    DECIMAL_PREFIXES,
    b_to_mib,
    bytes2human,
    bytes_in_unit,
    convert_units,
    hms_duration_to_seconds,
    human2bytes,
    mib_to_b,
    parse_memory_string,
)


def test_binary_suffix_gi_is_power_of_1024():
    assert human2bytes("2Gi") == 2 * 1024 ** 3


def test_bare_g_is_decimal_like_toil_5_10():
    # Toil 5.10 lists 'g' among DECIMAL_PREFIXES: "2G" means 2 * 1000**3 bytes.
    assert human2bytes("2G") == 2 * 1000 ** 3


def test_gb_is_decimal():
    assert human2bytes("2GB") == 2_000_000_000


def test_lowercase_k():
    assert human2bytes("100k") == 100_000


def test_space_between_number_and_unit():
    assert human2bytes("1024 Mib") == 1024 * 1024 ** 2


def test_fractional_number_gives_int():
    result = human2bytes("1.5Gi")
    assert result == 1610612736 and isinstance(result, int)


def test_case_insensitive_units():
    assert human2bytes("1KIB") == human2bytes("1kib") == 1024


def test_plain_number_string_is_bytes():
    assert human2bytes("4096") == 4096


def test_b_suffix_is_bytes():
    assert human2bytes("12 B") == 12


def test_int_input_passes_through():
    assert human2bytes(2147483648) == 2147483648


def test_all_listed_prefixes_are_accepted():
    for unit in BINARY_PREFIXES + DECIMAL_PREFIXES:
        assert human2bytes(f"1{unit}") == bytes_in_unit(unit)


@pytest.mark.parametrize("bad", ["2X", "-1G", "", "G", "1.2.3G", "abc", "1 G B"])
def test_bad_input_raises_value_error_naming_string(bad):
    with pytest.raises(ValueError) as info:
        human2bytes(bad)
    assert repr(bad) in str(info.value)
    assert "2G" in str(info.value)  # message gives examples


def test_negative_int_rejected():
    with pytest.raises(ValueError):
        human2bytes(-5)


def test_human2bytes_is_fast():
    start = time.perf_counter()
    for _ in range(20000):
        human2bytes("2G")
    assert time.perf_counter() - start < 1.0


def test_bytes2human_binary_gi():
    assert bytes2human(2147483648) == "2.0 Gi"


def test_bytes2human_small_values_in_bytes():
    assert bytes2human(100) == "100.0 b"


def test_bytes2human_kibibytes():
    assert bytes2human(1536) == "1.5 Ki"


def test_bytes2human_zero():
    assert bytes2human(0) == "0.0 b"


def test_bytes2human_negative_raises():
    with pytest.raises(ValueError):
        bytes2human(-1)


def test_convert_units_between_units():
    assert convert_units(1, "Gi", "Mi") == 1024.0


def test_convert_units_default_destination_is_bytes():
    assert convert_units(2, "kb") == 2000.0


def test_convert_units_rejects_unknown_unit():
    with pytest.raises(ValueError, match="not a valid unit"):
        convert_units(1, "zz")


def test_parse_memory_string_returns_number_and_unit():
    assert parse_memory_string("1024 Mib") == (1024.0, "Mib")


def test_parse_memory_string_without_unit():
    assert parse_memory_string("77") == (77.0, "b")


def test_b_to_mib():
    assert b_to_mib(3 * 1024 * 1024) == 3.0


def test_mib_to_b():
    assert mib_to_b(2) == 2 * 1024 * 1024


def test_hms_duration_to_seconds():
    assert hms_duration_to_seconds("1:02:03") == 3723.0


def test_hms_duration_minutes_seconds():
    assert hms_duration_to_seconds("02:30.5") == 150.5


def test_hms_duration_bad_input():
    with pytest.raises(ValueError, match="1:02:03"):
        hms_duration_to_seconds("a:b:c")
