"""st.data: datasets and mini-batch loading shaped like torch.utils.data (Dataset,
IterableDataset, TensorDataset, Subset, DataLoader with worker processes, random_split,
default_collate, the samplers, get_worker_info)."""
from ._worker import WorkerInfo, get_worker_info  # noqa: F401
from .dataloader import DataLoader, default_collate, default_convert  # noqa: F401
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split  # noqa: F401
from .sampler import (  # noqa: F401
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader",
           "default_collate", "default_convert", "get_worker_info", "WorkerInfo", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]
