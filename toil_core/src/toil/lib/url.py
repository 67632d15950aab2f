"""Compatibility module: upstream name ``toil.lib.url`` (Toil 8's URL access base class)."""
from toil_core.jobstores.url_access import URLAccess

__all__ = ["URLAccess"]
