"""Retry decorator with declarative error conditions (``toil.lib.retry``).

``@retry(errors=[...])`` reruns a function when it raises one of the listed exception types, or
an error matching an :class:`ErrorCondition` (HTTP status codes, boto error codes, message
substrings). A condition with ``retry_on_this_condition=False`` vetoes retrying even when a
broader entry would allow it, so "retry every HTTPError except NotFound" can be expressed.
"""
from __future__ import annotations

import functools
import logging
import time
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple, Type, Union

logger = logging.getLogger(__name__)

DEFAULT_INTERVALS = [1, 1, 2, 4, 8, 16, 32, 64, 128]
DEFAULT_DELAYS = (0, 1, 1, 4, 16, 64)
DEFAULT_TIMEOUT = 300
SUPPORTED_HTTP_ERRORS: List[Type[Exception]] = []


class ErrorCondition:
    """Describe a specific error (type plus optional code/message tests) to retry on, or not."""

    def __init__(self, error: Optional[Any] = None, error_codes: Optional[List[int]] = None,
                 boto_error_codes: Optional[List[str]] = None,
                 error_message_must_include: Optional[str] = None,
                 retry_on_this_condition: bool = True) -> None:
        self.error = error if error is not None else Exception
        self.error_codes = error_codes
        self.boto_error_codes = boto_error_codes
        self.error_message_must_include = error_message_must_include
        self.retry_on_this_condition = retry_on_this_condition

    def matches(self, e: BaseException) -> bool:
        """True if ``e`` has this condition's type and meets all of its extra tests."""
        return (isinstance(e, self.error)
                and meets_error_code_condition(e, self.error_codes)
                and meets_boto_error_code_condition(e, self.boto_error_codes)
                and meets_error_message_condition(e, self.error_message_must_include))

    def __repr__(self) -> str:
        return (f"ErrorCondition(error={getattr(self.error, '__name__', self.error)}, "
                f"error_codes={self.error_codes}, boto_error_codes={self.boto_error_codes}, "
                f"error_message_must_include={self.error_message_must_include!r}, "
                f"retry_on_this_condition={self.retry_on_this_condition})")


def _response_dict(e: BaseException) -> dict:
    response = getattr(e, "response", None)
    return response if isinstance(response, dict) else {}


def get_error_code(e: BaseException) -> str:
    """Return a boto-style error code name (e.g. ``'NoSuchBucket'``) or ``''``."""
    code = _response_dict(e).get("Error", {}).get("Code")
    if code is None:
        code = getattr(e, "error_code", None)
    if code is None and isinstance(getattr(e, "code", None), str):
        code = e.code  # type: ignore[attr-defined]
    return str(code) if code is not None else ""


def get_error_message(e: BaseException) -> str:
    """Return a boto-style error message, falling back to ``str(e)``."""
    message = _response_dict(e).get("Error", {}).get("Message")
    if message is None:
        message = getattr(e, "error_message", None)
    return str(message) if message is not None else str(e)


def get_error_status(e: BaseException) -> int:
    """Return the HTTP status code carried by ``e`` (boto, requests, urllib, ...), or 0."""
    status = _response_dict(e).get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status is None:
        response = getattr(e, "response", None)
        status = getattr(response, "status_code", None) or getattr(response, "status", None)
    for attr in ("status", "status_code", "code"):
        if status is None and isinstance(getattr(e, attr, None), int):
            status = getattr(e, attr)
    return int(status) if isinstance(status, int) else 0


def get_error_body(e: BaseException) -> str:
    """Return the error body if ``e`` has one, else its code and message."""
    body = getattr(e, "body", None)
    if body is not None:
        return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    return f"{get_error_code(e)}: {get_error_message(e)}"


def meets_error_message_condition(e: BaseException, error_message: Optional[str]) -> bool:
    """True if no message is required or it occurs in the error's message/body/traceback."""
    if not error_message:
        return True
    haystacks = [str(e), get_error_message(e), get_error_body(e),
                 "".join(traceback.format_exception(type(e), e, e.__traceback__))]
    return any(error_message in h for h in haystacks)


def meets_error_code_condition(e: BaseException, error_codes: Optional[List[int]]) -> bool:
    """True if no HTTP codes are required or ``e``'s status is one of them (e.g. 404, 500)."""
    return not error_codes or get_error_status(e) in error_codes


def meets_boto_error_code_condition(e: BaseException, boto_error_codes: Optional[List[str]]) -> bool:
    """True if no boto codes are required or ``e``'s code is one of them (e.g. 'AccessDenied')."""
    return not boto_error_codes or get_error_code(e) in boto_error_codes


def error_meets_conditions(e: BaseException, error_conditions: Iterable[ErrorCondition]) -> bool:
    """True if some condition matching ``e`` allows a retry and none matching forbids it."""
    allowed = False
    for condition in error_conditions:
        if condition.matches(e):
            if not condition.retry_on_this_condition:
                return False
            allowed = True
    return allowed


def _should_retry(e: BaseException, errors: Sequence[Union[ErrorCondition, Type[BaseException]]]) -> bool:
    conditions = [c for c in errors if isinstance(c, ErrorCondition)]
    if any(c.matches(e) and not c.retry_on_this_condition for c in conditions):
        return False
    if error_meets_conditions(e, conditions):
        return True
    return any(isinstance(e, c) for c in errors if not isinstance(c, ErrorCondition))


def retry(intervals: Optional[List[float]] = None, infinite_retries: bool = False,
          errors: Optional[Sequence[Union[ErrorCondition, Type[Exception]]]] = None,
          log_message: Optional[Tuple[Callable[..., Any], str]] = None,
          prepare: Optional[List[Callable[..., Any]]] = None,
          ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Retry the decorated function on the given ``errors``, sleeping ``intervals`` in between.

    ``intervals`` defaults to ``[1, 1, 2, 4, 8, 16, 32, 64, 128]`` seconds; with
    ``infinite_retries`` the list restarts when exhausted. ``errors`` defaults to any
    ``Exception``. ``log_message`` is ``(log_function, message)`` called before each attempt;
    ``prepare`` functions are called with the function's arguments before each retry.
    """
    delays = list(DEFAULT_INTERVALS if intervals is None else intervals)
    error_list = list(errors) if errors is not None else [Exception]
    for entry in error_list:
        if not isinstance(entry, ErrorCondition) and not (isinstance(entry, type)
                                                          and issubclass(entry, BaseException)):
            raise TypeError(f"retry(errors=...) entries must be exception types or ErrorConditions, "
                            f"not {entry!r}")
    catchable = tuple(e.error if isinstance(e, ErrorCondition) else e for e in error_list) or (Exception,)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            remaining = list(delays)
            while True:
                if log_message:
                    log_message[0](log_message[1])
                try:
                    return func(*args, **kwargs)
                except catchable as e:
                    if not _should_retry(e, error_list):
                        raise
                    if not remaining:
                        if not infinite_retries or not delays:
                            raise
                        remaining = list(delays)
                    interval = remaining.pop(0)
                    logger.warning("Error in %s: %s. Retrying after %s s...",
                                   getattr(func, "__qualname__", func), e, interval)
                    time.sleep(interval)
                    for prep_function in prepare or []:
                        prep_function(*args, **kwargs)
        return call
    return decorate


def old_retry(delays: Iterable[float] = DEFAULT_DELAYS, timeout: float = DEFAULT_TIMEOUT,
              predicate: Callable[[Exception], bool] = lambda e: False) -> Iterator[Any]:
    """Deprecated generator of per-attempt context managers (``for attempt in old_retry(): with attempt:``).

    Retries while ``predicate(exc)`` is true and ``timeout`` seconds have not passed; the last
    delay repeats.
    """
    delay_list = list(delays) or [0]
    expiration = time.time() + timeout
    attempt_number = 0
    while True:
        delay = delay_list[min(attempt_number, len(delay_list) - 1)]
        succeeded: List[bool] = []
        yield _old_retry_attempt(delay, expiration, predicate, succeeded)
        if succeeded:
            return
        time.sleep(delay)
        attempt_number += 1


@contextmanager
def _old_retry_attempt(delay: float, expiration: float, predicate: Callable[[Exception], bool],
                       succeeded: List[bool]) -> Iterator[None]:
    """One attempt of :func:`old_retry`: swallow a retryable error, record success."""
    try:
        yield
    except Exception as e:
        if time.time() + delay >= expiration or not predicate(e):
            raise
        logger.info("Got %s, trying again in %ss.", e, delay)
    else:
        succeeded.append(True)


def return_status_code(e: BaseException) -> int:
    """The HTTP status code carried by ``e`` (0 when it carries none); upstream's older spelling of
    :func:`get_error_status`."""
    return get_error_status(e)


#: Decorator for a test that fails now and then for reasons outside the code under test: it reruns
#: the test after 1 s, 1 s and 1 s when it fails an assertion (upstream: the same intervals).
retry_flaky_test = retry(intervals=[1, 1, 1], errors=[AssertionError])

#: Upstream binds the optional ``kubernetes`` and ``botocore`` SDKs here (None when absent). The
#: core never imports an SDK (the AWS and Kubernetes backends bring their own error handling), so
#: these are always None, as upstream's are without those extras.
kubernetes: Any = None
botocore: Any = None
