"""Imports every core component module so that its ``@register`` decorators run.

:func:`flamkit.plugins.load_core` imports this once; a new core component module is added here.
"""

# fmt: off
# (modules are added here as they land)
# fmt: on
