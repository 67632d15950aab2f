"""Upstream-named modules of the ``toil`` command (``toil.utils.toilStatus`` and friends).

Each module re-exports the implementation in :mod:`toil_core.cli`; ``main()`` reads
``sys.argv[1:]`` when called without arguments, as upstream's did.
"""
