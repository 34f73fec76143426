"""``python -m minilstm.bench``: how fast minilstm is, beside PyTorch and Keras.

One run measures, alternating the sides round by round and quoting medians:

- the article's workload (sin -> cos, window 24, 75 units, batch 10, 35 epochs, Adam),
  in float32 on every side and in float64 on minilstm's and PyTorch's: ``fit`` of a
  fresh model (the Keras reference's ``fit`` includes its first-call tracing, as a user
  pays for it; PyTorch's ``nn.LSTM`` encoder and decoder train in a plain loop), and the
  batched autoregressive decoding of all 76 windows, warm;
- the floor: the recurrent matrix products of that training alone (h U forward and
  dz U^T backward, every step of every batch of every epoch), with the same BLAS;
- a scaling sweep, one setting at a time from the article's (sequence length, units,
  batch size): the time of one training epoch on each side, once warm;
- the peak memory of minilstm-only runs.

``--scale`` measures the scale table instead: one training epoch at four sizes, from the
article's to H=512 units, batches of 128, 100 steps, minilstm in float32 and float64
beside PyTorch in float32, with each size's matrix-product floor (there including each
LSTM's recurrent weight gradient) and peak memory.

Where the environment overrides OpenBLAS's choice of kernel (``OPENBLAS_CORETYPE``,
``OPENBLAS_L2_SIZE``, set on some machines), the headline also runs minilstm in a
process without those settings, beside the others, and shows its rows too
(``--no-own-kernel`` leaves them out).

Each side runs in a process of its own, as it would for a user: TensorFlow's and
PyTorch's thread pools, once loaded, would otherwise compete with NumPy's BLAS threads.
It prints Markdown tables and writes them and the sweep's plot into ``--out``. Without
TensorFlow or PyTorch (or with ``--no-keras``, ``--no-pytorch``) their columns are
skipped with a note. ``--quick`` runs everything once on tiny sizes. How to read the
results: docs/performance.md.

One job per module:

- ``workloads``: the data each side trains on, the article's and the sweep's;
- ``timing``: the clock, the order of the sides, the matrix-product floor;
- ``sides``: minilstm's measurements;
- ``peers``: the same measurements of the Keras reference and of PyTorch;
- ``workers``: the process each side runs in;
- ``memory``: the peak memory of a run, in a fresh Python;
- ``machine``: the CPU, the BLAS and what else the numbers depend on;
- ``measure``: what one run measures, and the run itself;
- ``scale``: the scale table, measured and written;
- ``compare``: how minilstm compares with another side, in words;
- ``report``: the Markdown tables; ``plot``: the sweep's picture;
- ``__main__``: the command line.
"""
