from rlhf_reader.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert "rlhf-reader" in capsys.readouterr().out
