import subprocess

GOLDEN = ("Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
          "One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n"
          "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. "
          "She said, \"I want to play with your ball, but I can't find it.\"")


def test_generate_stories260k_prints_the_golden_story(fpgallm_bin, data_dir):
    d = data_dir / "stories260K"
    out = subprocess.run([fpgallm_bin, "generate", "--model", str(d / "stories260K.bin"),
                          "--tokenizer", str(d / "tok512.bin"), "--temperature", "0", "--steps", "256"],
                         capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.startswith(GOLDEN)


def test_generate_missing_model_fails_cleanly(fpgallm_bin, data_dir):
    out = subprocess.run([fpgallm_bin, "generate", "--model", "/no/such.bin",
                          "--tokenizer", str(data_dir / "stories260K" / "tok512.bin")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "/no/such.bin" in out.stderr
