import pytest
import torch


@pytest.fixture(scope="session")
def tiny_model():
    """A random 2-layer TransformerLens model with LayerNorm and MLPs (3 heads a layer)."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    cfg = HookedTransformerConfig(n_layers=2, n_heads=3, d_model=24, d_head=8, d_mlp=32, d_vocab=20, n_ctx=16,
                                  act_fn="gelu", normalization_type="LN", seed=1, device="cpu")
    model = HookedTransformer(cfg)
    model.eval()
    return model


@pytest.fixture(scope="session")
def tiny_tokens():
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 20, (4, 10), generator=g)


@pytest.fixture(scope="session")
def induction():
    from lenses.heads import induction_model

    return induction_model()
