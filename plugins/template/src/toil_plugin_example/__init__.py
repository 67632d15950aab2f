"""An example Toil batch system plugin (template). Importing the package imports nothing heavy."""
__version__ = "0.1.0"
