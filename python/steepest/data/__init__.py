"""st.data: datasets and mini-batch loading shaped like torch.utils.data (Dataset,
TensorDataset, Subset, DataLoader, random_split, default_collate, DistributedSampler)."""
from .dataloader import DataLoader, default_collate  # noqa: F401
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split  # noqa: F401
from .sampler import DistributedSampler, Sampler  # noqa: F401

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader", "default_collate",
           "Sampler", "DistributedSampler"]
