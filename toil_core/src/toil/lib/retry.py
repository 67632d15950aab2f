"""Compatibility module: upstream name ``toil.lib.retry``; everything lives in toil_core."""
from toil_core.lib.retry import *  # noqa: F401,F403

__all__ = [
    "DEFAULT_DELAYS", "DEFAULT_TIMEOUT", "ErrorCondition", "SUPPORTED_HTTP_ERRORS", "botocore",
    "error_meets_conditions", "get_error_body", "get_error_code", "get_error_message", "get_error_status",
    "kubernetes", "logger", "meets_boto_error_code_condition", "meets_error_code_condition",
    "meets_error_message_condition", "old_retry", "retry", "retry_flaky_test", "return_status_code",
]
