"""minilstm works on a machine without TensorFlow: only reference_keras imports it."""

import subprocess
import sys

# Makes `import tensorflow` (and `import keras`, which needs it) fail as if not
# installed, then imports every module of minilstm and trains a tiny model.
SCRIPT = """
import importlib, pkgutil, sys
sys.modules["tensorflow"] = None
sys.modules["keras"] = None
import minilstm as ml
for module in pkgutil.walk_packages(ml.__path__, "minilstm."):
    importlib.import_module(module.name)
data = ml.data.load_task("sin_cos")
model = ml.Seq2Seq(units=4, seed=0)
model.fit(data.enc_x, data.dec_x, data.dec_y, epochs=1, batch_size=38, verbose=0)
assert model.predict(data.enc_x[:2]).shape == (2, 24, 1)
try:
    import reference_keras
except ImportError:
    print("reference_keras needs TensorFlow")
"""


def test_minilstm_imports_and_trains_with_tensorflow_absent():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    # The blocking works: the Keras reference, which does need TensorFlow, could not
    # load.
    assert "reference_keras needs TensorFlow" in result.stdout
