"""The launcher: `steepest launch -n N script args` and `steepest train digits|charlm --nproc N`
run real ranks; exit statuses and usage errors come back."""
import os
import subprocess
import sys

from distributed.launch import HERE, env, mpiexec


def steepest(*args, timeout=120, cwd=None):
    return subprocess.run([sys.executable, "-m", "steepest.cli", *map(str, args)], env=env(), capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def test_launch_runs_the_script_on_n_ranks_with_its_arguments():
    mpiexec()
    out = steepest("launch", "-n", 3, os.path.join(HERE, "hello.py"), "--lr", "0.1", "x")
    assert out.returncode == 0, out.stderr
    for r in range(3):
        assert f"rank {r} of 3 args ['--lr', '0.1', 'x']" in out.stdout


def test_launch_returns_the_scripts_failure_status():
    mpiexec()
    out = steepest("launch", "-n", 2, os.path.join(HERE, "hello.py"), "--exit", "3")
    assert out.returncode != 0


def test_launch_dry_run_passes_hosts_and_interface_to_mpiexec(tmp_path):
    exe = mpiexec()
    hostfile = tmp_path / "hosts"
    hostfile.write_text("node1:4\nnode2:4\n")
    (tmp_path / "train.py").write_text("")
    out = steepest("launch", "-n", 8, "--hostfile", hostfile, "--iface", "eth0", "--dry-run", "train.py", "--x", 1,
                   cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [exe, "-n", "8", "-f", str(hostfile), "-iface", "eth0", sys.executable,
                                  "train.py", "--x", "1"]
    out = steepest("launch", "-n", 2, "--hosts", "a,b", "--dry-run", "-m", "my.module", cwd=tmp_path)
    assert out.stdout.split()[3:] == ["-hosts", "a,b", sys.executable, "-m", "my.module"], out.stdout


def test_launch_usage_errors():
    out = steepest("launch", "-n", 2, "no_such_script.py")
    assert out.returncode == 2 and "no_such_script.py: no such file" in out.stderr
    out = steepest("launch", "-n", 0, "x.py")
    assert out.returncode == 2 and "must be at least 1" in out.stderr


def test_train_digits_on_two_ranks(tmp_path):
    mpiexec()
    out = steepest("train", "digits", "--nproc", 2, "--epochs", 3, "--no-progress", "--out", tmp_path / "o",
                   timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("test accuracy") == 1 and out.stdout.count("epoch 3/3") == 1, out.stdout
    # 1438 training images: 719 per rank, 12 batches of 64 a rank each epoch (one process: 23)
    assert "epoch 3/3  step 36 " in out.stdout, out.stdout
    acc = float(out.stdout.split("test accuracy ")[1].split()[0])
    assert acc > 0.85, out.stdout
    written = set(os.listdir(tmp_path / "o"))  # the plot only with matplotlib installed
    assert "digits_mlp.safetensors" in written and written <= {"digits_mlp.safetensors", "loss_curve.png"}


def test_train_charlm_on_two_ranks(tmp_path):
    mpiexec()
    out = steepest("train", "charlm", "--nproc", 2, "--quick", "--steps", 8, "--sample-every", 4, "--max-chars",
                   20000, "--no-progress", "--out", tmp_path / "o", timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("validation loss") == 1, out.stdout
