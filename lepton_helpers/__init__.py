"""Helpers for the Lepton Notebooks: one small module per concept, each introduced by a notebook.

=================  ===========================================================  ========
module             what it holds                                                notebook
=================  ===========================================================  ========
``project``        the repository URL and pinned ref (Colab badges and setup)   all
``env``            device choice, seeding, version report, Colab detection      00
``data``           the IDX reader, the data folder, ``load_mnist``              00, 01
``preprocessing``  cleaning, normalisation, stratified splits, ``mnist_splits``  01
``batches``        in-memory mini-batches and the ``DataLoader`` path            01, 08
``activation``     the Lepton activation (function and ``nn.Module``)           02
``models``         the articles' MLP                                             02
``training``       the training loop, evaluation, parameter groups              03
``exercises``      self-checking exercises                                      all
``plots``          digit grids and training curves                              all
``nbtools``        run notebooks, record run times, sync shared cells           (dev)
=================  ===========================================================  ========
"""

__version__ = "0.1.0"
