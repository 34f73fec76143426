"""The article's settings, written down once.

Every default that reproduces the article reads its value here: the data (``data``), the
model (``Seq2Seq``), the demo's recipes, the benchmark and the docs' examples
(docs/data.md tells where each number comes from).
"""

NUM_POINTS = 100  # points per curve
WINDOW = 24  # time steps of every encoder and decoder window
UNITS = 75  # units of each LSTM
BATCH_SIZE = 10
EPOCHS = 35
OPTIMIZER = "adam"  # with Keras's default learning rate, 1e-3
START_POINTS = (0, 24, 49, 74)  # the windows whose decoding the article plots
