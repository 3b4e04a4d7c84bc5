"""The course's tooling: what runs, syncs and hands out the notebooks, not what they teach.

No lesson module, and not the exercise bank, imports this subpackage. Its command lines:

=================================================  ==========================================================
command                                            what it does
=================================================  ==========================================================
``python -m lepton_helpers.course.nbtools``         run notebooks in place and record their run times; sync the
                                                   badges, setup cells, README tables and student copies
``python -m lepton_helpers.course.cells``           write the exercise sections into the notebooks from the bank
``python -m lepton_helpers.course.key``             the instructors' answer key, from the bank
``python -m lepton_helpers.course.classroom``       student copies of the notebooks
``python -m lepton_helpers.course.room``            the room check: is this machine ready? (READY / NOT READY)
``python -m lepton_helpers.course.prefetch``        fetch and verify downloads for offline rooms
``python -m lepton_helpers.course.benchmark``       training speed
``python -m lepton_helpers.course.recipe``          the best recipe: per-seed test accuracy, recorded
``python -m lepton_helpers.course.tolerances``      measure how far notebook numbers move; nbval tolerances
``python -m lepton_helpers.course.progress``        who finished which exercise, from saved notebooks
``python -m lepton_helpers.course.release``         pin Colab badges and setup cells to a new tag; commit, tag
``python -m lepton_helpers.course.prose``           list the numbers in the notebooks' prose that no output
                                                   prints (the rule ``tests/test_prose_numbers.py`` applies)
=================================================  ==========================================================

``room.room_check()`` checks a classroom machine in one cell; ``project`` says where the repository
lives and which ref Colab installs; ``paths`` where its files are; ``lock`` the notebook lock.
"""
