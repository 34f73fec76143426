"""Model files: exact round trips, exact resumption, atomic writes, and a clear error
naming the file for anything that is not a good minilstm model file."""

import json
import os
import pathlib
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minilstm as ml
from minilstm import saving
from minilstm.data import load_task

DATA = load_task("damped", window=8)


def train(model: ml.Seq2Seq, epochs: int, initial_epoch: int = 0, optimizer=None) -> ml.History:
    return model.fit(
        DATA.enc_x,
        DATA.dec_x,
        DATA.dec_y,
        epochs=epochs,
        batch_size=16,
        optimizer=optimizer,
        initial_epoch=initial_epoch,
        verbose=0,
    )


def assert_same_model(a: ml.Seq2Seq, b: ml.Seq2Seq) -> None:
    assert (a.units, a.input_dim, a.output_dim, a.dtype, a.seed) == (
        b.units,
        b.input_dim,
        b.output_dim,
        b.dtype,
        b.seed,
    )
    assert a.completed_epochs == b.completed_epochs
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        assert wa.dtype == wb.dtype
        np.testing.assert_array_equal(wa, wb)


@pytest.fixture(scope="module")
def trained() -> ml.Seq2Seq:
    model = ml.Seq2Seq(units=3, input_dim=1, output_dim=1, seed=5)
    train(model, 2, optimizer=ml.RMSprop(learning_rate=0.01, momentum=0.5, centered=True))
    return model


@pytest.fixture
def saved(trained, tmp_path) -> pathlib.Path:
    path = tmp_path / "model.npz"
    trained.save(path)
    return path


def rewrite(path: pathlib.Path, change) -> None:
    """Load the arrays of a model file, let ``change(arrays, metadata)`` alter them, and
    write them back as a plain .npz (as someone editing a file by hand would)."""
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    metadata = json.loads(str(arrays["metadata"]))
    change(arrays, metadata)
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(path, **arrays)


# --- round trips and resumption


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_then_load_gives_back_the_same_model_bit_for_bit(tmp_path, dtype):
    model = ml.Seq2Seq(units=4, input_dim=2, output_dim=3, seed=11, dtype=dtype)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    model.save(tmp_path / "m.npz")
    loaded = ml.Seq2Seq.load(tmp_path / "m.npz")
    assert_same_model(loaded, model)
    assert loaded.optimizer is None


def test_the_optimizer_comes_back_with_its_settings_step_count_and_slots(trained, saved):
    loaded = ml.Seq2Seq.load(saved)
    assert type(loaded.optimizer) is ml.RMSprop
    assert loaded.optimizer.get_config() == trained.optimizer.get_config()
    assert loaded.optimizer.iterations == trained.optimizer.iterations == 2 * 6
    for got, want in zip(loaded.optimizer.slots, trained.optimizer.slots, strict=True):
        assert sorted(got) == ["average_gradient", "momentum", "velocity"]
        for name in want:
            np.testing.assert_array_equal(got[name], want[name])


def test_include_optimizer_false_saves_the_model_alone(trained, tmp_path):
    trained.save(tmp_path / "m.npz", include_optimizer=False)
    loaded = ml.Seq2Seq.load(tmp_path / "m.npz")
    assert loaded.optimizer is None
    assert_same_model(loaded, trained)


@pytest.mark.parametrize(
    "optimizer",
    [ml.Adam(learning_rate=0.01), ml.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)],
    ids=["adam", "sgd-nesterov"],
)
def test_training_resumed_from_a_file_repeats_the_uninterrupted_run(tmp_path, optimizer):
    config = optimizer.get_config()
    whole = ml.Seq2Seq(units=3, seed=2)
    whole_history = train(whole, 4, optimizer=type(optimizer)(**config))
    first = ml.Seq2Seq(units=3, seed=2)
    train(first, 2, optimizer=type(optimizer)(**config))
    first.save(tmp_path / "half.npz")
    resumed = ml.Seq2Seq.load(tmp_path / "half.npz")
    assert resumed.completed_epochs == 2
    history = train(resumed, 4, initial_epoch=resumed.completed_epochs)
    assert history.history["loss"] == whole_history.history["loss"][2:]
    assert_same_model(resumed, whole)


def test_a_schedule_cannot_be_stored_so_saving_it_says_what_to_do(tmp_path):
    model = ml.Seq2Seq(units=2, seed=0)
    train(model, 1, optimizer=ml.SGD(learning_rate=lambda step: 0.01))
    with pytest.raises(ValueError, match=r"schedule .* include_optimizer=False"):
        model.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


# --- atomic writes


def test_a_save_failing_part_way_leaves_the_previous_file_intact(trained, saved, monkeypatch):
    before = saved.read_bytes()

    def write_half_then_fail(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        ml.Seq2Seq(units=7, seed=1).save(saved)
    assert saved.read_bytes() == before
    assert sorted(os.listdir(saved.parent)) == ["model.npz"]  # no temporary file left over
    monkeypatch.undo()
    assert_same_model(ml.Seq2Seq.load(saved), trained)


def test_saving_into_a_missing_folder_names_the_file(tmp_path):
    path = tmp_path / "no" / "such" / "folder" / "m.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(f"cannot write the model file {path}")):
        ml.Seq2Seq(units=2).save(path)


def test_a_saved_file_gets_the_usual_permissions_not_those_of_a_private_temporary(saved):
    umask = os.umask(0)
    os.umask(umask)
    assert saved.stat().st_mode & 0o777 == 0o666 & ~umask


# --- files that must be refused, each with the file's name and the problem


def test_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no model file: .*nothing\.npz"):
        ml.Seq2Seq.load(tmp_path / "nothing.npz")


def test_a_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        ValueError, match=re.escape(f"cannot load {saved}: not a readable minilstm model")
    ):
        ml.Seq2Seq.load(saved)


def test_an_empty_file(saved):
    saved.write_bytes(b"")
    with pytest.raises(ValueError, match=re.escape(f"cannot load {saved}")):
        ml.Seq2Seq.load(saved)


def test_a_file_with_a_pickled_object_is_refused_without_running_it(saved, tmp_path):
    marker = tmp_path / "code-ran"

    class Payload:
        def __reduce__(self):
            return (pathlib.Path.touch, (marker,))

    def add_object(arrays, metadata):
        arrays["weights/0"] = np.array([Payload()], dtype=object)

    rewrite(saved, add_object)
    with pytest.raises(
        ValueError, match=re.escape(f"cannot load {saved}: member weights/0") + ".*dtype \\|O"
    ):
        ml.Seq2Seq.load(saved)
    assert not marker.exists()


def test_a_foreign_npz_file(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.arange(3.0), y=np.ones(2))
    with pytest.raises(
        ValueError, match=re.escape(f"cannot load {path}: not a minilstm model file")
    ):
        ml.Seq2Seq.load(path)


def test_a_single_npy_array_and_a_text_file(tmp_path):
    np.save(tmp_path / "a.npy", np.ones(3))
    (tmp_path / "notes.txt").write_text("units = 75\n")
    for name in ("a.npy", "notes.txt"):
        with pytest.raises(
            ValueError, match=re.escape(f"cannot load {tmp_path / name}: not a readable")
        ):
            ml.Seq2Seq.load(tmp_path / name)


def test_a_file_from_a_newer_minilstm(saved):
    rewrite(saved, lambda arrays, metadata: metadata.update(format_version=2))
    with pytest.raises(ValueError, match=r"written by a newer minilstm .*version 2.* upgrade"):
        ml.Seq2Seq.load(saved)


def test_weights_that_do_not_fit_the_stored_settings(saved):
    """A file whose weights belong to a different model (here: 3 units, settings 5)."""
    rewrite(saved, lambda arrays, metadata: metadata["config"].update(units=5))
    with pytest.raises(
        ValueError, match=r"weights/0 must have shape \(1, 20\).*its header says shape \(1, 12\)"
    ):
        ml.Seq2Seq.load(saved)


def test_a_file_with_a_weight_missing(saved):
    rewrite(saved, lambda arrays, metadata: arrays.pop("weights/7"))
    with pytest.raises(
        ValueError, match=re.escape(f"cannot load {saved}: member weights/7 is missing")
    ):
        ml.Seq2Seq.load(saved)


def test_optimizer_slots_that_do_not_fit_the_weights(saved):
    rewrite(saved, lambda arrays, metadata: arrays.update({"optimizer/2/velocity": np.ones(5)}))
    with pytest.raises(ValueError, match=r"optimizer/2/velocity must have shape \(12,\)"):
        ml.Seq2Seq.load(saved)


def test_a_file_naming_an_unknown_optimizer_class_is_refused(saved):
    rewrite(saved, lambda arrays, metadata: metadata["optimizer"].update(class_name="os.system"))
    with pytest.raises(ValueError, match=r"unknown optimizer 'os\.system'"):
        ml.Seq2Seq.load(saved)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_damaged_byte_gives_the_same_model_or_a_clear_error(saved, trained, data):
    """Each byte changed anywhere in the file: either the damage hits bytes the format
    does not use (and the model loads unchanged) or loading says which file is bad."""
    original = saved.read_bytes()
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    flipped = data.draw(st.integers(1, 255), label="xor")
    damaged = bytearray(original)
    damaged[position] ^= flipped
    saved.write_bytes(bytes(damaged))
    try:
        loaded = ml.Seq2Seq.load(saved)
    except ValueError as error:
        assert str(saved) in str(error)
    else:
        assert_same_model(loaded, trained)
    finally:
        saved.write_bytes(original)


def test_the_format_constants_are_in_the_file(saved):
    with np.load(saved, allow_pickle=False) as archive:
        metadata = json.loads(str(archive["metadata"]))
        assert sorted(archive.files) == sorted(
            [
                "metadata",
                *(f"weights/{k}" for k in range(8)),
                *(
                    f"optimizer/{k}/{s}"
                    for k in range(8)
                    for s in ("velocity", "momentum", "average_gradient")
                ),
            ]
        )
    assert metadata["format"] == saving.FORMAT
    assert metadata["format_version"] == saving.FORMAT_VERSION
    assert metadata["config"] == {
        "units": 3,
        "input_dim": 1,
        "output_dim": 1,
        "dtype": "float64",
        "seed": 5,
    }
