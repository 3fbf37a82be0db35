"""What the extension does at run time: no copy of a read-only memmap, the GIL
released during the fit, Ctrl-C raising KeyboardInterrupt. Nothing here measures
speed: the GIL test counts another thread's progress, the interrupt test only
bounds the wait generously."""

import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np

from kmeans_roofline import KMeans

MB = 1 << 20


def _run(code, **kw):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def test_a_read_only_memmap_is_not_copied(tmp_path):
    # 96 MB of float64. A copy of X anywhere on the fit path (validation, the
    # conversion to the Rust slice) would raise the peak RSS by about twice that
    # (the mapped pages plus the copy); in place it rises by the mapped pages.
    n, d = 393_216, 32
    path = tmp_path / "x.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, d))
    rng = np.random.default_rng(0)
    for s in range(0, n, 65536):
        X[s : s + 65536] = rng.normal(size=(min(65536, n - s), d))
    X.flush()
    del X
    size = n * d * 8
    r = _run(
        f"""
        import numpy as np
        from kmeans_roofline import KMeans

        def status(key):
            for line in open("/proc/self/status"):
                if line.startswith(key):
                    return int(line.split()[1]) * 1024

        X = np.load({str(path)!r}, mmap_mode="r")
        assert not X.flags.writeable and X.flags.c_contiguous
        KMeans(2, random_state=0, max_iter=2).fit(X[:1000])  # warm up the code paths
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak (VmHWM) to the current RSS
        before = status("VmRSS")
        km = KMeans(3, random_state=0, max_iter=3, n_threads=2).fit(X)
        assert km.labels_.shape == ({n},)
        print(status("VmHWM") - before)
        """
    )
    assert r.returncode == 0, r.stderr
    growth = int(r.stdout.split()[-1])
    print(f"peak RSS growth {growth / MB:.0f} MB for {size / MB:.0f} MB of data")
    # Labels (4 bytes a row) and the fit's per-row state are small beside X.
    assert growth < 1.5 * size, f"peak RSS grew by {growth / MB:.0f} MB for {size / MB:.0f} MB of data"


def test_the_gil_is_released_during_the_fit():
    # While one thread fits, another keeps counting. If the fit held the GIL, the
    # counter would stand still from the fit's start to its end.
    X = np.random.default_rng(1).normal(size=(200_000, 16))
    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=counter)
    t.start()
    try:
        before = count[0]
        KMeans(32, random_state=0, max_iter=20, tol=0.0, n_threads=1).fit(X)
        during = count[0] - before
    finally:
        stop.set()
        t.join()
    assert during > 1000, f"the other thread advanced only {during} steps during the fit"


def test_two_fits_in_two_threads_give_the_single_thread_results():
    X = np.random.default_rng(2).normal(size=(50_000, 8))
    ref = KMeans(8, random_state=3).fit(X)
    out = [None, None]

    def fit(i):
        out[i] = KMeans(8, random_state=3).fit(X)

    threads = [threading.Thread(target=fit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for m in out:
        np.testing.assert_array_equal(m.labels_, ref.labels_)


def test_sigint_raises_keyboard_interrupt_and_leaves_the_process_usable():
    code = """
        import sys, time
        import numpy as np
        from kmeans_roofline import KMeans

        X = np.random.default_rng(0).normal(size=(400_000, 16))
        print("fitting", flush=True)
        t0 = time.perf_counter()
        try:
            KMeans(256, random_state=0, max_iter=100000, tol=0.0).fit(X)
            print("finished without interrupt", flush=True)
        except KeyboardInterrupt:
            print(f"interrupted after {time.perf_counter() - t0:.2f} s", flush=True)
        # The process is still usable: another fit works.
        km = KMeans(3, random_state=0).fit(X[:1000])
        print("usable", km.cluster_centers_.shape, flush=True)
    """
    p = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert p.stdout.readline().strip() == "fitting"
        # Let the fit get into the Rust code (seeding 256 centers takes a while).
        threading.Event().wait(1.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert "interrupted after" in out, out + err
    assert "usable (3, 16)" in out, out + err
    print(out)  # the reaction time, for the curious (pytest -s)
