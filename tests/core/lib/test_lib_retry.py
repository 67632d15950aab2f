"""Tests for toil_core.lib.retry."""
import pytest

from toil_core.lib.retry import ErrorCondition, error_meets_conditions, get_error_status, old_retry, retry


class HTTPishError(Exception):
    """An exception carrying an HTTP status, like requests' HTTPError."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class BotoishError(Exception):
    """An exception shaped like botocore's ClientError."""

    def __init__(self, code, status=400):
        super().__init__(f"An error occurred ({code})")
        self.response = {"Error": {"Code": code, "Message": f"{code} happened"},
                         "ResponseMetadata": {"HTTPStatusCode": status}}


def flaky(failures, exc_factory):
    """Return (function failing `failures` times then returning 'ok', call log)."""
    calls = []

    def f(*args, **kwargs):
        calls.append((args, kwargs))
        if len(calls) <= failures:
            raise exc_factory()
        return "ok"
    return f, calls


def test_retries_until_success():
    f, calls = flaky(2, lambda: ValueError("boom"))
    assert retry(intervals=[0, 0, 0], errors=[ValueError])(f)() == "ok"
    assert len(calls) == 3


def test_gives_up_after_intervals_exhausted():
    f, calls = flaky(10, lambda: ValueError("boom"))
    with pytest.raises(ValueError):
        retry(intervals=[0, 0], errors=[ValueError])(f)()
    assert len(calls) == 3


def test_unlisted_error_not_retried():
    f, calls = flaky(1, lambda: KeyError("k"))
    with pytest.raises(KeyError):
        retry(intervals=[0, 0], errors=[ValueError])(f)()
    assert len(calls) == 1


def test_default_errors_retry_any_exception():
    f, calls = flaky(1, lambda: KeyError("k"))
    assert retry(intervals=[0])(f)() == "ok"


def test_infinite_retries_reuse_intervals():
    f, calls = flaky(7, lambda: ValueError("boom"))
    assert retry(intervals=[0, 0], infinite_retries=True, errors=[ValueError])(f)() == "ok"
    assert len(calls) == 8


def test_error_condition_http_code_match_retries():
    f, calls = flaky(1, lambda: HTTPishError("server", 503))
    cond = ErrorCondition(error=HTTPishError, error_codes=[500, 503])
    assert retry(intervals=[0], errors=[cond])(f)() == "ok"


def test_error_condition_http_code_mismatch_raises():
    f, calls = flaky(1, lambda: HTTPishError("missing", 404))
    cond = ErrorCondition(error=HTTPishError, error_codes=[500, 503])
    with pytest.raises(HTTPishError):
        retry(intervals=[0], errors=[cond])(f)()
    assert len(calls) == 1


def test_error_condition_message_must_include():
    f, calls = flaky(1, lambda: RuntimeError("Resource NotFound yet"))
    cond = ErrorCondition(error=RuntimeError, error_message_must_include="NotFound")
    assert retry(intervals=[0], errors=[cond])(f)() == "ok"


def test_error_condition_boto_code():
    f, calls = flaky(1, lambda: BotoishError("BucketNotFound"))
    cond = ErrorCondition(error=BotoishError, boto_error_codes=["BucketNotFound"])
    assert retry(intervals=[0], errors=[cond])(f)() == "ok"


def test_negative_condition_vetoes_generic_retry():
    f, calls = flaky(3, lambda: HTTPishError("NotFound", 404))
    errors = [HTTPishError, ErrorCondition(error=HTTPishError, error_message_must_include="NotFound",
                                           retry_on_this_condition=False)]
    with pytest.raises(HTTPishError):
        retry(intervals=[0, 0], errors=errors)(f)()
    assert len(calls) == 1


def test_generic_retry_still_applies_when_negative_condition_does_not_match():
    f, calls = flaky(1, lambda: HTTPishError("Throttled", 429))
    errors = [HTTPishError, ErrorCondition(error=HTTPishError, error_message_must_include="NotFound",
                                           retry_on_this_condition=False)]
    assert retry(intervals=[0], errors=errors)(f)() == "ok"


def test_prepare_functions_called_with_arguments_between_retries():
    f, calls = flaky(2, lambda: ValueError("boom"))
    prepared = []
    prepare = [lambda *a, **k: prepared.append((a, k))]
    wrapped = retry(intervals=[0, 0], errors=[ValueError], prepare=prepare)(f)
    wrapped(1, x=2)
    assert prepared == [((1,), {"x": 2})] * 2


def test_log_message_before_each_attempt():
    f, calls = flaky(1, lambda: ValueError("boom"))
    messages = []
    retry(intervals=[0], errors=[ValueError], log_message=(messages.append, "trying"))(f)()
    assert messages == ["trying", "trying"]


def test_wrapped_function_keeps_name():
    @retry(intervals=[0])
    def my_function():
        return 1
    assert my_function.__name__ == "my_function"


def test_non_exception_in_errors_rejected():
    with pytest.raises(TypeError):
        retry(errors=["ValueError"])


def test_error_condition_default_error_is_exception():
    assert ErrorCondition().error is Exception


def test_get_error_status_from_boto_shape():
    assert get_error_status(BotoishError("X", status=500)) == 500


def test_error_meets_conditions_false_when_nothing_matches():
    assert not error_meets_conditions(ValueError("x"), [ErrorCondition(error=KeyError)])


def test_old_retry_retries_while_predicate_true():
    count = 0
    with pytest.raises(RuntimeError):
        for attempt in old_retry(delays=[0], timeout=0.1, predicate=lambda e: True):
            with attempt:
                count += 1
                raise RuntimeError("foo")
    assert count > 1


def test_old_retry_single_attempt_on_success():
    count = 0
    for attempt in old_retry(delays=[0], timeout=0.1, predicate=lambda e: True):
        with attempt:
            count += 1
    assert count == 1
