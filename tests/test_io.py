"""Model files: bit-identical round trips, clear errors for bad headers, atomic writes."""

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from motorlab import load_model_file, make_ensemble, read_header, save_model_file
from motorlab.config import train_defaults
from motorlab.store import write_json

REPLICATES = {"best_iteration": [3, 7], "included": [True, False],
              "excluded_reason": [None, "diverged: non-finite loss or gradient at iteration 5"]}


def tiny_hps(part=1):
    hps = train_defaults()
    hps["part"] = part
    hps["model"].update(hidden_size=6, n_replicates=2)
    hps["loss"]["control"] = 1e-5  # floats must survive the JSON header exactly
    return hps


def ensemble_with_nan(key, part=1):
    """A 2-replicate ensemble whose second replicate is NaN (an excluded replicate)."""
    ens = make_ensemble(tiny_hps(part), key)
    return eqx.tree_at(lambda e: e.readout.weight, ens, ens.readout.weight.at[1].set(jnp.nan))


def body(path):
    data = path.read_bytes()
    return data[data.index(b"\n") + 1:]


@pytest.mark.parametrize("part", [1, 2])
def test_round_trip_is_bit_identical(part, tmp_path, getkey):
    ens, hps = ensemble_with_nan(getkey(), part), tiny_hps(part)
    path = tmp_path / "model.eqx"
    written = save_model_file(path, ens, hps, REPLICATES, model_id="0123456789abcdef")
    loaded, header = load_model_file(path)
    assert jax.tree.structure(loaded) == jax.tree.structure(ens)
    for a, b in zip(jax.tree.leaves(ens), jax.tree.leaves(loaded)):
        if eqx.is_array(a):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert jnp.array_equal(a, b, equal_nan=True)
            np.testing.assert_array_equal(np.asarray(a).view(np.uint8), np.asarray(b).view(np.uint8))
        else:
            assert a == b
    assert loaded.n_context == part - 1 and loaded.hidden_size == 6
    assert header == written == read_header(path)
    assert header["hps"] == hps and header["replicates"] == REPLICATES
    assert header["format"] == "motorlab-model/1" and header["id"] == "0123456789abcdef"
    # Saving what was loaded writes the same bytes after the header line.
    again = tmp_path / "again.eqx"
    save_model_file(again, loaded, header["hps"], header["replicates"], model_id=header["id"])
    assert body(again) == body(path)


def test_header_is_one_sorted_json_line_with_provenance(tmp_path, getkey):
    path = tmp_path / "m.eqx"
    save_model_file(path, make_ensemble(tiny_hps(), getkey()), tiny_hps(), REPLICATES)
    line = path.read_bytes().split(b"\n", 1)[0]
    header = json.loads(line)
    assert list(header) == sorted(header)
    assert {"format", "hps", "replicates", "versions", "git_commit"} <= set(header)
    assert "created" not in header  # issue 15 item 19: the time is in the sidecar only
    assert header["versions"]["jax"] == jax.__version__


BAD_FILES = {
    "text": b"this is not a model\nmore text\n",
    "binary": b"PAR1\x80\x81\xfe\x00\x01\n\x02",  # e.g. a Parquet file passed by mistake
    "empty": b"",
    "json_list": b"[1, 2, 3]\n\x00\x00",
    "json_number": b"42\n\x00\x00",
    "other_format": b'{"format": "something-else/2", "hps": {}}\n\x00\x00',
    "no_format": b'{"hps": {}}\n\x00\x00',
}


@pytest.mark.parametrize("reader", [read_header, load_model_file], ids=["read_header", "load_model_file"])
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_header_gives_a_clear_error_naming_the_file(name, reader, tmp_path):
    path = tmp_path / f"{name}.eqx"
    path.write_bytes(BAD_FILES[name])
    with pytest.raises(ValueError, match=r"motorlab[ -]model") as info:
        reader(path)
    assert str(path) in str(info.value)


def test_truncated_model_file_fails_loudly(tmp_path, getkey):
    path = tmp_path / "m.eqx"
    save_model_file(path, make_ensemble(tiny_hps(), getkey()), tiny_hps(), REPLICATES)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    # issue 15 item 13: the file is named and said to be truncated or corrupt
    with pytest.raises(ValueError, match="truncated or corrupt model file") as info:
        load_model_file(path)
    assert str(path) in str(info.value)


def test_failed_write_leaves_no_file_and_no_temp_file(tmp_path, getkey):
    """A header that cannot be serialised to JSON (a set) fails before anything is renamed."""
    hps = tiny_hps()
    hps["pert"]["std"] = {0.5}
    with pytest.raises(TypeError):
        save_model_file(tmp_path / "m.eqx", make_ensemble(tiny_hps(), getkey()), hps, REPLICATES)
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_the_weights_keeps_the_old_file(tmp_path, getkey, monkeypatch):
    path = tmp_path / "m.eqx"
    save_model_file(path, make_ensemble(tiny_hps(), getkey()), tiny_hps(), REPLICATES)
    before = path.read_bytes()

    def half_written(f, tree):
        f.write(b"\x00" * 64)
        raise OSError("disk full")

    monkeypatch.setattr(eqx, "tree_serialise_leaves", half_written)
    with pytest.raises(OSError, match="disk full"):
        save_model_file(path, make_ensemble(tiny_hps(), getkey()), tiny_hps(), REPLICATES)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.eqx"]


def test_interrupt_while_writing_leaves_nothing(tmp_path, getkey, monkeypatch):
    def interrupted(f, tree):
        f.write(b"\x00" * 64)
        raise KeyboardInterrupt

    monkeypatch.setattr(eqx, "tree_serialise_leaves", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model_file(tmp_path / "sub" / "m.eqx", make_ensemble(tiny_hps(), getkey()), tiny_hps(), REPLICATES)
    assert list((tmp_path / "sub").iterdir()) == []


def test_write_json_is_atomic_and_handles_numpy(tmp_path):
    path = tmp_path / "side.json"
    write_json(path, {"b": np.float32(0.5), "a": np.arange(3), "c": np.int16(2)})
    assert json.loads(path.read_text()) == {"a": [0, 1, 2], "b": 0.5, "c": 2}
    with pytest.raises(TypeError, match="object"):
        write_json(path, {"x": object()})
    assert json.loads(path.read_text())["b"] == 0.5
    assert [p.name for p in tmp_path.iterdir()] == ["side.json"]
