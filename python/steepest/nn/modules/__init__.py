"""The layer classes of st.nn, one family per file."""
from .activation import GELU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh  # noqa: F401
from .activation_extra import (  # noqa: F401
    CELU,
    ELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    Softplus,
    Softsign,
    Tanhshrink,
)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d  # noqa: F401
from .bilinear import Bilinear, CosineSimilarity, PairwiseDistance  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .flatten import Flatten  # noqa: F401
from .fold import Fold, Unfold  # noqa: F401
from .linear import Identity, Linear  # noqa: F401
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: F401
from .loss_extra import (  # noqa: F401
    BCELoss,
    CosineEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    MarginRankingLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .normalization import LayerNorm  # noqa: F401
from .normalization_extra import GroupNorm, RMSNorm  # noqa: F401
from .pooling import (  # noqa: F401
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .resample import PixelShuffle, PixelUnshuffle, Upsample  # noqa: F401
from .sparse import Embedding  # noqa: F401

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Embedding", "Flatten", "GELU",
    "Identity", "L1Loss", "LayerNorm", "Linear", "LogSoftmax", "MSELoss", "ModuleDict",
    "ModuleList", "NLLLoss", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax", "Tanh",
]
__all__ += ["BatchNorm1d", "BatchNorm2d"]
__all__ += [
    "BCELoss", "Bilinear", "CELU", "CosineEmbeddingLoss", "CosineSimilarity", "ELU", "GroupNorm", "Hardsigmoid",
    "Hardswish", "Hardtanh", "HuberLoss", "KLDivLoss", "LeakyReLU", "LogSigmoid", "MarginRankingLoss", "Mish",
    "PReLU", "PairwiseDistance", "PixelShuffle", "PixelUnshuffle", "RMSNorm", "ReLU6", "SELU", "SmoothL1Loss",
    "Softplus", "Softsign", "Tanhshrink", "TripletMarginLoss", "Upsample",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AvgPool1d", "AvgPool2d",
    "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Fold", "MaxPool1d", "MaxPool2d", "Unfold",
]
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402,F401

__all__ += ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

from .attention import MultiheadAttention  # noqa: E402,F401
from .transformer import (  # noqa: E402,F401
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__all__ += ["MultiheadAttention", "Transformer", "TransformerDecoder", "TransformerDecoderLayer",
            "TransformerEncoder", "TransformerEncoderLayer"]
__all__ += ["BatchNorm3d"]

from .float8 import Float8Linear, convert_to_float8_training  # noqa: E402,F401

__all__ += ["Float8Linear", "convert_to_float8_training"]

from .loss_ctc import CTCLoss  # noqa: E402,F401

__all__ += ["CTCLoss"]

from .sparse_linear import SparseLinear  # noqa: E402,F401

__all__ += ["SparseLinear"]
