"""gazemap: eye-tracking research pipeline for usability tests.

Record gaze over LSL into HDF5 session files, detect fixations and saccades, map them
onto areas of interest of a study protocol's screens and turn the metrics into friction
evidence per customer-journey touchpoint.
"""

__version__ = "0.1.0"
