"""Rendered scenes and templated questions: high-dimensional features over known attributes.

Each sample is an image of one object and a question about it. The image shows the object's
color ``c`` (red, green or blue), its shape ``s`` (one of four) and the place ``p`` (indoor
or outdoor, the background's brightness); the question asks either "is the object <color>?"
about a color ``q`` or "what shape is the object?", and names the place as well. The answer
``y`` is the pair (answer, place): yes or no to a color question, the shape to a shape
question. All attributes are independent and uniform.

The image is a ``3 x 12 x 12`` array (432 pixel features): an ``8 x 8`` mask of the shape,
shifted by up to one pixel either way, drawn in the object's color channel on the place's
background, with Gaussian noise; the question is a vector of word counts over a fixed
vocabulary, with synonyms and filler words drawn at random. The attributes are read from the
features without error, so the features carry exactly what the attributes do, and the exact
PID of ``(image, question, answer)`` is that of the attribute table
(:func:`scenes_distribution`).
"""

from __future__ import annotations

import itertools

import numpy as np

from pid.distribution import Distribution
from pid.validation import check_whole

#: The words of the questions; a question is its count of each.
VOCABULARY = tuple(
    "is the object what shape of red crimson green emerald blue navy in at kitchen hall park "
    "garden please tell me now thing item this here".split()
)
_COLOR_WORDS = (("red", "crimson"), ("green", "emerald"), ("blue", "navy"))
_PLACE_WORDS = (("kitchen", "hall"), ("park", "garden"))
_FILLERS = ("please", "tell", "me", "now", "thing", "item", "this", "here")

#: The four shapes as 8 x 8 masks: a square, a plus, a diamond and a frame.
_GRID = np.indices((8, 8)) - 3.5
_SHAPES = np.stack(
    [
        (np.abs(_GRID).max(axis=0) <= 2.5),
        (np.abs(_GRID).min(axis=0) <= 0.5),
        (np.abs(_GRID).sum(axis=0) <= 3.5),
        (np.abs(_GRID).max(axis=0) >= 2.6),
    ]
).astype(float)
#: Background brightness indoors and outdoors; the noise of every pixel.
_BACKGROUND = (0.1, 0.4)
_NOISE = 0.1


def scenes(n_samples: int, *, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_samples`` scenes: image pixels ``(n, 432)``, question word counts ``(n, 26)`` and
    the answer label (an integer code of (answer, place), see :func:`scenes_distribution`)."""
    n_samples = check_whole(n_samples, "n_samples", 1)
    rng = np.random.default_rng(seed)
    color, shape, place = (rng.integers(0, k, n_samples) for k in (3, 4, 2))
    kind, asked = rng.integers(0, 2, n_samples), rng.integers(0, 3, n_samples)
    images = np.full((n_samples, 3, 12, 12), 0.0)
    images += np.array(_BACKGROUND)[place][:, None, None, None]
    shift = rng.integers(0, 3, (n_samples, 2))
    for i in range(n_samples):
        row, column = 1 + shift[i]
        images[i, color[i], row : row + 8, column : column + 8] += _SHAPES[shape[i]]
    images += _NOISE * rng.standard_normal(images.shape)
    questions = np.zeros((n_samples, len(VOCABULARY)))
    index = {word: k for k, word in enumerate(VOCABULARY)}
    for i in range(n_samples):
        if kind[i] == 0:
            words = ["is", "the", "object", _COLOR_WORDS[asked[i]][rng.integers(2)]]
        else:
            words = ["what", "shape", "is", "the", "object"]
        words += [("in", "at")[rng.integers(2)], "the", _PLACE_WORDS[place[i]][rng.integers(2)]]
        words += list(rng.choice(_FILLERS, rng.integers(0, 3)))
        for word in words:
            questions[i, index[word]] += 1
    answer = np.where(kind == 0, (color == asked).astype(int), 2 + shape)
    return images.reshape(n_samples, -1), questions, answer * 2 + place


def scenes_distribution() -> Distribution:
    """The exact joint of the attributes the images and questions carry, and the answer.

    ``x1`` is the image's (color, shape, place), ``x2`` the question's (kind, asked color for a
    color question, place), ``y`` the code ``2 answer + place`` of :func:`scenes`, with answer
    0 (no), 1 (yes) or ``2 + shape``. Its PID is that of the scenes' features.
    """
    rows = []
    for color, shape, place, kind, asked in itertools.product(
        range(3), range(4), range(2), range(2), range(3)
    ):
        answer = int(color == asked) if kind == 0 else 2 + shape
        question = (kind, asked if kind == 0 else 3, place)
        image = (color * 4 + shape) * 2 + place
        rows.append((image, np.ravel_multi_index(question, (2, 4, 2)), answer * 2 + place))
    x1, x2, y = (np.array(column) for column in zip(*rows, strict=True))
    return Distribution.from_samples(x1, x2, y)
