"""Features, computed once: TF-IDF for a text column, standardised numeric columns, or both.

Retraining a model on a subset of groups selects *rows* of the matrix built here; nothing is
ever re-fitted per retraining. The vocabulary, IDF weights and column scales therefore come
from the whole training set (a removed group still shaped them): a deliberate trade of a
small leak for thousands of cheap retrainings, as in the datamodels literature.

Besides the model's input (``transform``), the encoder gives a dense embedding (``embed``)
for k-means grouping and for dense models: a normalised truncated SVD of the TF-IDF matrix
(latent semantic analysis) for text, the standardised columns for tables.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

_HTML_TAG = re.compile(r"<[^>]+>")


def _clean(text: str) -> str:
    return _HTML_TAG.sub(" ", text).lower()


class FeatureEncoder:
    """Encode rows of a frame for retraining.

    Parameters
    ----------
    text_column : str, optional
        Column of free text, encoded by TF-IDF (sublinear term frequencies, unigrams).
    feature_columns : list of str, optional
        Numeric columns, standardised (mean 0, variance 1 on the training set).
    max_features : int
        Largest TF-IDF vocabulary.
    embedding_dim : int
        Dimension of the dense embedding of text (truncated SVD).
    seed : int
        Seed of the SVD.

    Attributes
    ----------
    vectorizer_ : the fitted ``TfidfVectorizer`` (text only).
    scaler_ : the fitted ``StandardScaler`` (numeric columns only).
    svd_ : the fitted ``TruncatedSVD`` (text only).
    n_features_ : int, columns of the model's input.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [1.0, 1.0, 4.0]})
    >>> enc = FeatureEncoder(feature_columns=["x", "y"]).fit(frame)
    >>> enc.transform(frame).round(3)
    array([[-1.225, -0.707],
           [ 0.   , -0.707],
           [ 1.225,  1.414]])
    """

    def __init__(self, text_column: str | None = None, feature_columns: list[str] | None = None, *,
                 max_features: int = 20_000, embedding_dim: int = 64, seed: int = 0) -> None:
        self.text_column = text_column
        self.feature_columns = feature_columns
        self.max_features = max_features
        self.embedding_dim = embedding_dim
        self.seed = seed

    @property
    def is_text(self) -> bool:
        return self.text_column is not None

    def fit(self, frame: pd.DataFrame) -> FeatureEncoder:
        """Learn vocabulary / scales (and the text embedding) from the training rows."""
        if self.text_column is None and not self.feature_columns:
            raise ValueError("FeatureEncoder needs a text_column or feature_columns")
        self.vectorizer_ = self.scaler_ = self.svd_ = None
        blocks = []
        if self.text_column is not None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            texts = self._texts(frame)
            # min_df=2 drops typos and names seen once; tiny sets keep every word.
            min_df = 2 if len(texts) >= 100 else 1
            self.vectorizer_ = TfidfVectorizer(preprocessor=_clean, sublinear_tf=True, min_df=min_df,
                                               max_features=int(self.max_features), dtype=np.float64)
            try:
                blocks.append(self.vectorizer_.fit_transform(texts))
            except ValueError as exc:  # e.g. every text empty
                raise ValueError(f"cannot build a vocabulary from column {self.text_column!r}: {exc}") from None
        if self.feature_columns:
            from sklearn.preprocessing import StandardScaler

            self.scaler_ = StandardScaler().fit(self._numeric(frame))
            blocks.append(self.scaler_.transform(self._numeric(frame)))
        self.n_features_ = int(sum(b.shape[1] for b in blocks))
        if self.text_column is not None:
            from sklearn.decomposition import TruncatedSVD

            tfidf = blocks[0]
            dim = int(min(self.embedding_dim, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
            if dim >= 1:
                self.svd_ = TruncatedSVD(n_components=dim, random_state=self.seed).fit(tfidf)
        return self

    def transform(self, frame: pd.DataFrame):
        """The model's input: CSR sparse when there is text, a dense float64 array otherwise."""
        self._check_fitted()
        blocks = []
        if self.vectorizer_ is not None:
            blocks.append(self.vectorizer_.transform(self._texts(frame)))
        if self.scaler_ is not None:
            blocks.append(self.scaler_.transform(self._numeric(frame)))
        if len(blocks) == 1:
            out = blocks[0]
        else:
            out = sp.hstack([sp.csr_matrix(b) for b in blocks])
        return out.tocsr() if sp.issparse(out) else np.ascontiguousarray(out, dtype=np.float64)

    def embed(self, matrix) -> np.ndarray:
        """Dense rows for k-means and dense models (LSA for text, the matrix for tables)."""
        self._check_fitted()
        if self.vectorizer_ is None:
            return np.asarray(matrix, dtype=np.float64)
        vocab = len(self.vectorizer_.vocabulary_)
        tfidf = matrix[:, :vocab]
        dense = self.svd_.transform(tfidf) if self.svd_ is not None else tfidf.toarray()
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        dense = dense / np.where(norms > 0, norms, 1.0)
        if self.scaler_ is not None:  # text and numeric columns: append the scaled columns
            dense = np.hstack([dense, matrix[:, vocab:].toarray()])
        return np.ascontiguousarray(dense, dtype=np.float64)

    def top_terms(self, matrix, group_ids: np.ndarray, k: int = 2) -> list[list[str]]:
        """For each group, the ``k`` words most over-represented in it (stop words skipped).

        Over-representation is the group's mean TF-IDF minus the training set's mean.
        """
        n_groups = int(group_ids.max()) + 1
        if self.vectorizer_ is None:
            return [[] for _ in range(n_groups)]
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        vocab = len(self.vectorizer_.vocabulary_)
        tfidf = matrix[:, :vocab]
        member = sp.csr_matrix((np.ones(group_ids.size), (group_ids, np.arange(group_ids.size))),
                               shape=(n_groups, group_ids.size))
        sizes = np.asarray(member.sum(axis=1)).ravel()
        means = np.asarray((member @ tfidf).todense()) / np.maximum(sizes, 1)[:, None]
        lift = means - np.asarray(tfidf.mean(axis=0)).ravel()[None, :]
        names = self.vectorizer_.get_feature_names_out()
        # Labels read better without stop words, numbers and contraction stubs ("ll", "don").
        unreadable = np.array([n in ENGLISH_STOP_WORDS or not n.isalpha() or len(n) < 3 or n in ("don", "didn", "doesn", "isn", "wasn") for n in names])
        lift[:, unreadable] = -np.inf
        out = []
        for row in lift:
            best = np.argsort(-row, kind="stable")[:k]
            out.append([str(names[i]) for i in best if row[i] > 0])
        return out

    # ----------------------------------------------------------------- helpers
    def _texts(self, frame: pd.DataFrame) -> list[str]:
        col = frame[self.text_column]
        if col.isna().any():
            raise ValueError(f"text column {self.text_column!r} has missing values in rows "
                             f"{np.flatnonzero(col.isna().to_numpy())[:10].tolist()}")
        return [str(t) for t in col]

    def _numeric(self, frame: pd.DataFrame) -> np.ndarray:
        cols = list(self.feature_columns)
        bad = [c for c in cols if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
        if bad:
            raise ValueError(f"feature columns must be numeric; {bad} are not (encode them first, "
                             "or pass a text_column)")
        values = frame[cols].to_numpy(dtype=np.float64)
        if not np.isfinite(values).all():
            rows = np.flatnonzero(~np.isfinite(values).all(axis=1))[:10].tolist()
            raise ValueError(f"feature columns have missing or infinite values in rows {rows}; fill them first")
        return values

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_"):
            raise RuntimeError("this FeatureEncoder is not fitted yet; call fit(frame) first")
