"""An upstream-style URL access plugin: registers the ``demo:`` scheme when imported."""
from toil.lib.plugins import register_plugin


def demo_url_access_factory():
    from toil_url_access_upstreamdemo.access import DemoURLAccess

    return DemoURLAccess


register_plugin("url_access", "demo", demo_url_access_factory)
