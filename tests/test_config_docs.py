"""config/README.md is generated (`motorlab config-docs`) and must match the defaults and rules."""

from pathlib import Path

from motorlab.cli import main
from motorlab.config import config_docs, train_defaults
from motorlab.config import yaml_comments
from motorlab.config import flatten

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def test_committed_config_readme_is_current():
    committed = (ROOT / "config" / "README.md").read_text()
    assert committed == config_docs(SCHEMA), (
        "config/README.md is out of date: run `motorlab config-docs --out config/README.md`")


def test_every_training_key_is_documented_with_its_default():
    text = config_docs()
    for key, value in flatten(train_defaults()).items():
        assert f"| `{key}` |" in text, key
    assert "| `pert.std` | `0.0` | a number >= 0 | training disturbance std sigma |" in text
    assert "| `analyses.plant_perts.pert.type` | `null` | one of 'curl', 'constant' or null |" in text
    assert "schema:" not in text  # no schema given: no schema section


def test_yaml_comments_follow_nesting():
    header, comments = yaml_comments("# Title\n#\n# more\na:        # the a\n  b: 1     # the b\n"
                                     "  c: {d: 2}\ne: x # the e\n")
    assert header == "Title more"
    assert comments == {"a": "the a", "a.b": "the b", "e": "the e"}


def test_config_docs_command_checks_the_file(tmp_path, capsys):
    out = tmp_path / "README.md"
    assert main(["config-docs", "--schema", str(SCHEMA), "--out", str(out)]) == 0
    assert main(["config-docs", "--schema", str(SCHEMA), "--out", str(out), "--check"]) == 0
    out.write_text(out.read_text() + "edited\n")
    assert main(["config-docs", "--schema", str(SCHEMA), "--out", str(out), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
