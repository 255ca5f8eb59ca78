import pytest
import torch

#: a random 2-layer model with LayerNorm and MLPs, 3 heads a layer
TINY = dict(n_layers=2, n_heads=3, d_model=24, d_head=8, d_mlp=32, d_vocab=20, n_ctx=16, act_fn="gelu",
            normalization_type="LN", seed=1)


@pytest.fixture(scope="session")
def tiny_model():
    """The tiny model as a TransformerLens-native ``TransformerBridge`` (TransformerLens 3.9 and 4)."""
    from transformer_lens.config import TransformerBridgeConfig
    from transformer_lens.model_bridge import TransformerBridge

    model = TransformerBridge.boot_native(TransformerBridgeConfig(**TINY, device="cpu"), device="cpu",
                                          dtype=torch.float32)
    model.eval()
    return model


@pytest.fixture(scope="session")
def hooked_tiny_model():
    """The tiny model as a ``HookedTransformer`` on TransformerLens 3.9; None on 4 (which removed the
    class): the tests that take it check 4's side instead of skipping."""
    from lenses.heads.loading import hooked_transformer_class

    HookedTransformer = hooked_transformer_class()
    if HookedTransformer is None:
        return None
    import warnings

    from transformer_lens import HookedTransformerConfig

    with warnings.catch_warnings():  # 3.9 announces the class's removal in 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        model = HookedTransformer(HookedTransformerConfig(**TINY, device="cpu"))
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
