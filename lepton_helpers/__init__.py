"""Helpers for the Lepton Notebooks: one small module per concept, each introduced by a notebook.

=================  ================================================================  ==========
module             what it holds                                                     notebook
=================  ================================================================  ==========
``project``        the repository URL and pinned ref (Colab badges and setup)        all
``env``            device choice, seeding, version report, Colab detection           00
``data``           the IDX reader, the data folder, ``load_mnist``                   00, 01
``preprocessing``  cleaning, normalisation, stratified splits, ``mnist_splits``       01
``batches``        in-memory mini-batches and the ``DataLoader`` path                 01, 03, 08
``activation``     the Lepton activation (function and ``nn.Module``)                02
``models``         the articles' MLP                                                  02
``widgets``        the slider explorers' base, the k/θ explorer, the static curves    02
``backprop``       forward and backward written out; the articles' rule               03
``training``       the training loop ``fit``, evaluation, parameter groups            03
``layerwise``      greedy layer-wise and local-loss training                          04
``features``       per-layer features, linear probes, top-k feature selection        05
``optim``          SGD, momentum and Adam written out; the lr x momentum explorer     06
``estimator``      ``LeptonClassifier``, a scikit-learn estimator                      06
``articles``       the articles' own pipeline: the crash and its fix                  07, 08
``evaluation``     confidence intervals, per-class scores, calibration                07
``checkpoint``     atomic saving and safe loading of a trained model                  07
``recipe``         the best recipe (batch augmentation, one-cycle) and its ablation  07
``profiling``      FLOPs, the matrix-multiply rate, memory accounting                 08
``benchmark``      ``python -m lepton_helpers.benchmark``: training speed             08
``ddp``            data-parallel training, launched with ``torchrun``                  08
``exercises``      self-checking exercises                                            all
``plots``          digit grids and training curves                                    all
``classroom``      student copies, the room check                                     (teachers)
``prefetch``       fetch and verify downloads for offline rooms                       (teachers)
``nbtools``        run notebooks, record run times, sync shared cells                 (dev)
=================  ================================================================  ==========
"""

__version__ = "0.1.0"
