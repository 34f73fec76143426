"""``python -m minilstm.demo``: the article's three experiments, redone and corrected.

For each task of ``minilstm.data.TASKS`` (sin -> cos, a damped oscillation, x^2 -> sqrt
x) the demo trains the encoder-decoder with the article's settings, decodes every window
autoregressively (feeding each prediction back, which the article's listing forgot to
do), prints a summary table and writes the pictures (``plots``) into a folder.

One module per job, each usable from Python:

- ``recipes``: the settings of a run (``Settings``, ``RECIPES``) and its optimizer;
- ``experiment``: one task trained and scored (``run_task``, ``TaskResult``);
- ``keras_run``: the same experiment with the Keras reference (needs TensorFlow);
- ``report``: the summary table printed at the end;
- ``plots``: the pictures, each drawn on a matplotlib ``Axes`` you give it;
- ``options``: the command line and its checks;
- ``__main__``: the program itself, run by ``python -m minilstm.demo``.

    from minilstm.demo.experiment import run_task
    from minilstm.demo.recipes import RECIPES

    result = run_task("sin_cos", RECIPES["article"], verbose=False)
    result.autoregressive_mse, result.losses, result.predictions   # (76, 24, 1)
"""
