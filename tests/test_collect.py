"""Collecting a trained model's per-modality outputs over a DataLoader, on the CPU (or CUDA)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from pid.backend import resolve_device  # noqa: E402
from pid.io import collect_outputs  # noqa: E402


class TwoTower(nn.Module):
    """A tiny late-fusion model: one encoder per modality, dropout, a linear head."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.enc1, self.enc2 = nn.Linear(3, 4), nn.Linear(2, 4)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(8, 3)

    def embed(self, a, b):
        return self.drop(self.enc1(a)), self.drop(self.enc2(b))

    def forward(self, batch):
        a, b, label = batch
        e1, e2 = self.embed(a, b)
        return {"x1": e1, "x2": e2, "y": label, "logits": self.head(torch.cat([e1, e2], 1))}


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(10, 3, generator=g), torch.randn(10, 2, generator=g)
    label = torch.randint(0, 3, (10,), generator=g)
    return a, b, label


def test_model_returning_a_dict(data):
    model = TwoTower().train()
    x1, x2, y = collect_outputs(model, DataLoader(TensorDataset(*data), batch_size=4))
    a, b, label = data
    with torch.no_grad():
        np.testing.assert_allclose(x1, model.enc1(a).numpy(), rtol=1e-6)  # no dropout: eval mode
        np.testing.assert_allclose(x2, model.enc2(b).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(y, label.numpy())
    assert x1.shape == (10, 4) and y.dtype == np.int64
    assert model.training  # the caller's mode is restored


def test_step_collects_predictions(data):
    model = TwoTower()

    def step(model, batch):
        a, b, _ = batch
        out = model((a, b, None))
        assert not torch.is_grad_enabled()
        return {"image": out["x1"], "text": out["x2"], "pred": out["logits"].argmax(1)}

    loader = DataLoader(TensorDataset(*data), batch_size=3)
    x1, x2, y = collect_outputs(model, loader, step, keys=("image", "text", "pred"), device="cpu")
    with torch.no_grad():
        expected = model.eval()(data)["logits"].argmax(1).numpy()
    np.testing.assert_array_equal(y, expected)
    assert x1.shape == (10, 4) and x2.shape == (10, 4)


def test_dict_batches_are_moved_whole(data):
    a, b, label = data
    batches = [
        {"a": a[:5], "b": b[:5], "label": label[:5]},
        {"a": a[5:], "b": b[5:], "label": label[5:]},
    ]
    model = TwoTower()

    def step(model, batch):
        e1, e2 = model.embed(batch["a"], batch["b"])
        return {"x1": e1, "x2": e2, "y": batch["label"]}

    x1, _, y = collect_outputs(model, batches, step)
    assert x1.shape == (10, 4)
    np.testing.assert_array_equal(y, label.numpy())


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda model, batch: [batch[0], batch[1], batch[2]], "returned list, not a mapping"),
        (lambda model, batch: {"x1": batch[0], "x2": batch[1]}, "has no array named 'y'"),
        (lambda model, batch: {"x1": batch[0], "x2": batch[1], "y": batch[0]}, "y must be 1-D"),
        (
            lambda model, batch: {"x1": batch[0], "x2": batch[1], "y": batch[2].sum()},
            "step returned a scalar for 'y'",
        ),
    ],
)
def test_bad_step_outputs(data, step, message):
    with pytest.raises(ValueError, match=message):
        collect_outputs(TwoTower(), DataLoader(TensorDataset(*data), batch_size=5), step)


def test_empty_loader_and_bad_device(data):
    with pytest.raises(ValueError, match="yielded no batches"):
        collect_outputs(TwoTower(), [])
    with pytest.raises(ValueError, match="device 'gpu' is not a torch device"):
        collect_outputs(TwoTower(), [data], device="gpu")


def test_auto_device_follows_cuda_availability():
    assert resolve_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA, which is not available"):
            resolve_device("cuda")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_auto_device_runs_on_cuda(data):
    model = TwoTower()
    x1, _, y = collect_outputs(model, DataLoader(TensorDataset(*data), batch_size=4))
    assert next(model.parameters()).is_cuda
    with torch.no_grad():
        expected = model.cpu().enc1(data[0]).numpy()
    np.testing.assert_allclose(x1, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(y, data[2].numpy())
