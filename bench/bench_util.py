"""What the benchmark scripts share: reading a JSON document over HTTP and waiting for a
port file that a node or the simulator writes once it listens."""
import json
import time
import urllib.request


def get_json(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def wait_port(path, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no port in {path}")
