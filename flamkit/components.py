"""Imports every core component module so that its ``@register`` decorators run.

:func:`flamkit.plugins.load_core` imports this once; a new core component module is added here.
"""

import flamkit.data.augment  # noqa: F401
import flamkit.data.sources  # noqa: F401
import flamkit.eval.tasks  # noqa: F401
import flamkit.losses.heads  # noqa: F401
import flamkit.models.audio.aisfx  # noqa: F401
import flamkit.models.audio.htsat  # noqa: F401
import flamkit.models.audio.small_cnn  # noqa: F401
import flamkit.models.heads  # noqa: F401
import flamkit.models.pooling  # noqa: F401
import flamkit.models.text.hf  # noqa: F401
import flamkit.train.optim  # noqa: F401
