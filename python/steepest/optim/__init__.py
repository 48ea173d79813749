"""st.optim: torch.optim-shaped optimizers whose steps are fused multi-tensor C++ kernels
(one call per parameter group per step): torch's rules (SGD ... Adafactor, Muon) and, from
their reference implementations, Lion, SophiaG, ScheduleFreeAdamW, Lamb, Lars; param-group
recipes in recipes.py; global-norm clipping in clip.py."""
from . import lr_scheduler, swa_utils  # noqa: F401
from .adadelta import Adadelta  # noqa: F401
from .adafactor import Adafactor  # noqa: F401
from .adagrad_rmsprop import Adagrad, RMSprop  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .adam_variants import Adamax, NAdam, RAdam  # noqa: F401
from .adan import Adan  # noqa: F401
from .arena import Arena, flatten_  # noqa: F401
from .clip import clip_and_step, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm  # noqa: F401
from .lamb_lars import LAMB, LARS, Lamb, Lars  # noqa: F401
from .lbfgs import LBFGS  # noqa: F401
from .lion import Lion  # noqa: F401
from .muon import Muon, MuonWithAuxAdamW, newton_schulz  # noqa: F401
from .optimizer import RULES, Optimizer  # noqa: F401
from .recipes import muon_param_groups, param_groups_weight_decay  # noqa: F401
from .schedule_free import AdamWScheduleFree, ScheduleFreeAdamW  # noqa: F401
from .sgd import SGD  # noqa: F401
from .sophia import SophiaG, sophia_gnb_step  # noqa: F401
