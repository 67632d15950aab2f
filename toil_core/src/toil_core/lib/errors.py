"""The roots of the exception tree (drawn in full in :mod:`toil_core.exceptions`).

Every exception toil-core and its first-party backends raise descends from
:class:`ToilBaseException`. Ordinary errors descend from :class:`ToilError`, an :class:`Exception`;
they keep the upstream Toil names and the builtin bases upstream gives them (``RuntimeError``,
``ValueError``, ...), so ``except RuntimeError`` in an unchanged script still catches what it did,
and ``except ToilError`` catches every error of Toil's own. The one exception that is not an
``Exception`` is the leader's kill (a ``SystemExit``, so ``except Exception`` in user code does
not swallow it); it is still a :class:`ToilBaseException`.

This module sits in the lowest layer so every layer can derive from it; it imports nothing.
"""

__all__ = ["ToilBaseException", "ToilError"]


class ToilBaseException(BaseException):
    """Root of every exception the project raises (compare :class:`BaseException`)."""


class ToilError(ToilBaseException, Exception):
    """Root of the ordinary errors (compare :class:`Exception`): catch it to catch all of Toil's own."""
