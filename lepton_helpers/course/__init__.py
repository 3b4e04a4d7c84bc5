"""The course's tooling: what runs, syncs and hands out the notebooks, not what they teach.

No lesson module imports this subpackage. Its command lines:

=================================================  ==========================================================
command                                            what it does
=================================================  ==========================================================
``python -m lepton_helpers.course.nbtools``         run notebooks in place and record their run times; sync the
                                                   badges, setup cells and README tables
``python -m lepton_helpers.course.classroom``       student copies of the notebooks; ``room_check()``
``python -m lepton_helpers.course.prefetch``        fetch and verify downloads for offline rooms
``python -m lepton_helpers.course.benchmark``       training speed
``python -m lepton_helpers.course.recipe``          the best recipe: training time and test accuracy
=================================================  ==========================================================

``project`` says where the repository lives (Colab badges and setup cells derive from it).
"""
