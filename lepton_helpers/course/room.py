"""The one-cell room check before a workshop: run it on each of the room's machines (in Colab, after the setup cell)::

    from lepton_helpers.course.room import room_check; room_check()

It needs only what ``pip install`` of the package brings (no test or notebook tooling), so it
works in Colab and in a learner's plain environment.
"""

from __future__ import annotations

import torch

from ..data import full_on_disk, load_mnist
from ..env import environment_report, get_device
from ..models import MLP


def room_check() -> bool:
    """Is this machine ready for the workshop? Versions, the bundled data, a training step, widgets.

    Prints one verdict per line and shows a slider (which must appear as a slider, not as text);
    returns True when every check passed.
    """
    from IPython.display import display
    from ipywidgets import IntSlider

    verdicts = []

    def verdict(passed: bool, what: str, detail: str) -> None:
        verdicts.append(passed)
        print(f"{'✅' if passed else '❌'} {what}: {detail}")

    report = environment_report(torch.device("cpu"))
    verdict(True, "versions", ", ".join(f"{name} {report[name]}" for name in ("python", "torch", "ipywidgets")))
    try:
        mnist = load_mnist("bundled")
        full = "full MNIST downloaded" if full_on_disk() else \
            "full MNIST not downloaded (optional: `python -m lepton_helpers.course.prefetch`)"
        verdict(True, "data", f"MNIST-10k verified ({len(mnist.train_labels):,} + {len(mnist.test_labels):,} "
                              f"digits); {full}")
    except (OSError, ValueError) as err:
        verdict(False, "data", str(err))
    try:
        device = get_device()
        model = MLP().to(device)
        model(torch.zeros(32, 784, device=device)).sum().backward()
        verdict(True, "compute", f"a training step runs on {device.type}")
    except RuntimeError as err:
        verdict(False, "compute", str(err))
    display(IntSlider(value=5, max=10, description="widgets"))
    print("👆 This must be a slider you can drag. Text such as IntSlider(...) or 'Error displaying widget' "
          "means the widget frontend is missing: see the README's Troubleshooting.")
    return all(verdicts)
