"""On-disk evaluation cache: SQLite (standard library), no pickle.

Each value is stored under (game fingerprint, packed mask bytes). Batches are committed as
they finish, so an interrupted sweep restarted on the same game re-evaluates only what was
never finished, and another method on the same game reuses every mask already seen.
"""

from __future__ import annotations

import os
import threading

import numpy as np

FORMAT = "spexkit-cache"
VERSION = "1"


class CacheError(ValueError):
    """The cache file is corrupt, foreign, or from an incompatible version."""


def pack_masks(masks: np.ndarray) -> np.ndarray:
    """Bool masks (N, n) -> one fixed-width byte key per row (numpy void dtype, sortable)."""
    packed = np.ascontiguousarray(np.packbits(masks, axis=1))
    return packed.view(f"V{packed.shape[1]}").ravel()


def lookup_sorted(sorted_keys: np.ndarray, sorted_values: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, values): which ``keys`` are among ``sorted_keys`` (sorted), and their values (NaN where not).

    Examples
    --------
    >>> known = pack_masks(np.array([[0, 1], [1, 1]], bool))  # valued 2.0 and 1.0
    >>> order = np.argsort(known)
    >>> asked = pack_masks(np.array([[1, 1], [1, 0]], bool))
    >>> found, values = lookup_sorted(known[order], np.array([2.0, 1.0])[order], asked)
    >>> found.tolist(), values.tolist()
    ([True, False], [1.0, nan])
    """
    out = np.full(keys.size, np.nan)
    if sorted_keys.size == 0 or keys.size == 0:
        return np.zeros(keys.size, dtype=bool), out
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    found = sorted_keys[pos] == keys
    out[found] = sorted_values[pos[found]]
    return found, out


class EvaluationCache:
    """Values of one game's masks, persisted in a SQLite file.

    Parameters
    ----------
    path : file to create or reuse.
    fingerprint : identity of the game (model, input, settings); values of other games in
        the same file are never mixed in.
    n_players : checked against what the file recorded for this fingerprint.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "c.sqlite")
    >>> cache = EvaluationCache(path, "demo", n_players=3)
    >>> m = np.array([[True, False, True]])
    >>> cache.store(m, np.array([1.5]))
    >>> cache.lookup(m)
    (array([ True]), array([1.5]))
    """

    def __init__(self, path: str | os.PathLike, fingerprint: str, n_players: int) -> None:
        self.path = os.fspath(path)
        self.fingerprint = str(fingerprint)
        self.n_players = int(n_players)
        self._lock = threading.Lock()
        import sqlite3  # loaded when a cache is opened: the engine without a cache never needs it

        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._init_schema()
            self._keys, self._values = self._load()
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"{self.path} is not a usable spexkit cache ({exc}); delete it or choose another path") from None

    def _init_schema(self) -> None:
        db = self._db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE games (fingerprint TEXT PRIMARY KEY, n_players INTEGER NOT NULL)")
            db.execute(
                "CREATE TABLE evals (fingerprint TEXT NOT NULL, mask BLOB NOT NULL, value REAL NOT NULL, "
                "PRIMARY KEY (fingerprint, mask)) WITHOUT ROWID"
            )
            db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("version", VERSION)])
            db.commit()
        elif not {"meta", "games", "evals"} <= tables:
            raise CacheError(f"{self.path} is an SQLite file but not a spexkit cache")
        meta = dict(db.execute("SELECT key, value FROM meta"))
        if meta.get("format") != FORMAT:
            raise CacheError(f"{self.path} is not a spexkit cache")
        if meta.get("version") != VERSION:
            raise CacheError(f"{self.path} is a spexkit cache of version {meta.get('version')}, expected {VERSION}")
        row = db.execute("SELECT n_players FROM games WHERE fingerprint = ?", (self.fingerprint,)).fetchone()
        if row is None:
            db.execute("INSERT INTO games VALUES (?, ?)", (self.fingerprint, self.n_players))
            db.commit()
        elif row[0] != self.n_players:
            raise CacheError(
                f"{self.path} holds game {self.fingerprint!r} with {row[0]} players, not {self.n_players}"
            )

    def _load(self) -> tuple[np.ndarray, np.ndarray]:
        rows = self._db.execute("SELECT mask, value FROM evals WHERE fingerprint = ?", (self.fingerprint,)).fetchall()
        width = (self.n_players + 7) // 8
        if not rows:
            return np.zeros(0, dtype=f"V{width}"), np.zeros(0)
        blobs = [r[0] for r in rows]
        if any(len(b) != width for b in blobs):
            raise CacheError(f"{self.path} holds masks of the wrong width for {self.n_players} players")
        keys = np.frombuffer(b"".join(blobs), dtype=f"V{width}")
        values = np.array([r[1] for r in rows], dtype=np.float64)
        if not np.isfinite(values).all():
            raise CacheError(f"{self.path} holds non-finite values")
        order = np.argsort(keys)
        return keys[order], values[order]

    def __len__(self) -> int:
        return int(self._keys.size)

    def lookup(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, values): which masks are cached, and their values (NaN where not found)."""
        return lookup_sorted(self._keys, self._values, pack_masks(masks))

    def store(self, masks: np.ndarray, values: np.ndarray) -> None:
        """Persist a finished batch (one transaction) and add it to the in-memory index."""
        keys = pack_masks(masks)
        rows = [(self.fingerprint, k.tobytes(), float(v)) for k, v in zip(keys, values)]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO evals VALUES (?, ?, ?)", rows)
            self._db.commit()
            allk = np.concatenate([self._keys, keys])
            allv = np.concatenate([self._values, np.asarray(values, dtype=np.float64)])
            uniq, first = np.unique(allk[::-1], return_index=True)  # newest value wins
            self._keys, self._values = uniq, allv[::-1][first]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EvaluationCache:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
