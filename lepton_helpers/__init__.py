"""Helpers for the Lepton Notebooks: one small module per concept, each introduced by a notebook.

=================  ====================================================================  ===========
module             what it holds                                                         notebook
=================  ====================================================================  ===========
``env``            device choice, seeding without side effects, versions, argument checks  00
``data``           the IDX reader, the data folder, ``load_mnist``                         00, 01
``preprocessing``  cleaning, normalisation, stratified splits, ``mnist_splits``            01
``activation``     the Lepton activation (function and ``nn.Module``)                      02
``models``         the articles' MLP; checkpoints; a cached trained network               02, 05, 07
``pictures``       digit grids, training curves, slider explorers, progress bars          all
``backprop``       forward and backward written out; the articles' rule                    03
``training``       mini-batches, the training loop ``fit``, evaluation                      03
``layerwise``      greedy layer-wise and local-loss training                               04
``features``       per-layer features, linear probes, top-k feature selection              05
``optim``          SGD, momentum and Adam written out                                      06
``estimator``      ``LeptonClassifier``, a scikit-learn estimator                          06
``evaluation``     confidence intervals, per-class scores, calibration                     07
``recipe``         the articles' recipe (its crash and fix) and the course's recipe       07, 08
``profiling``      FLOPs, the matrix-multiply rate, memory, training speed                 08
``fastmlp``        the training step written out for speed (AdamW, ReLU MLPs)              08
``ddp``            data-parallel training, launched with ``torchrun``                      08
``ledger``         the claims ledger: the verdicts 02-08 printed, read from their outputs  09
=================  ====================================================================  ===========

``exercises`` (a subpackage) checks the notebooks' exercises. ``course`` (a subpackage that no
lesson module imports) is the course's tooling: running and syncing notebooks, student copies,
prefetching data, the benchmark and recipe command lines.
"""

__version__ = "0.1.0"
