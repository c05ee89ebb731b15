"""Every core component, registered at once: for the commands that list or check every kind.

flamkit's components register when the module that builds them is imported, so nothing needs this
module to work: :mod:`flamkit.models.flam` imports the model components, :mod:`flamkit.data.build`
the data sources and augmenters, :mod:`flamkit.train.step` the loss heads, :mod:`flamkit.train.loop`
the optimizers and :mod:`flamkit.eval.runner` the evaluation tasks. ``flamkit list``, ``flamkit
validate`` and ``flamkit launch`` check a config against every registry before anything is built, so
they import this module. It sits at the top of the layers (docs/architecture.md) and nothing in
``flamkit`` below the command line imports it.

A new core component is listed in its kind's catalogue, not here:

- audio encoder: ``flamkit/models/audio/__init__.py``; text encoder: ``flamkit/models/text/__init__.py``
- data source: ``flamkit/data/sources/__init__.py``; augmenter: ``flamkit/data/augment/__init__.py``
- evaluation task: ``flamkit/eval/tasks/__init__.py``
- head, pooling, loss head, optimizer or schedule: define it in ``flamkit/models/heads.py``,
  ``flamkit/models/pooling.py``, ``flamkit/losses/heads.py`` or ``flamkit/train/optim.py``.

A new *kind* (a new registry) gets one line here.
"""

import flamkit.data.augment  # noqa: F401
import flamkit.data.sources  # noqa: F401
import flamkit.eval.tasks  # noqa: F401
import flamkit.losses.heads  # noqa: F401
import flamkit.models.audio  # noqa: F401
import flamkit.models.heads  # noqa: F401
import flamkit.models.pooling  # noqa: F401
import flamkit.models.text  # noqa: F401
import flamkit.train.optim  # noqa: F401
