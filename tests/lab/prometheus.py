"""A real Prometheus server in a lab namespace, for tests of an exporter.

Debian's /usr/bin/prometheus (package prometheus, 2.42) runs inside one of
the lab's network namespaces, by default the client's, where the exporter
listens, with a configuration written from the scrape jobs the test gives
and its database under the lab's temporary directory. Its HTTP API is
asked from inside that namespace too (a few lines of Python run there by
`ip netns exec'): nothing outside the lab can reach it, and it reaches
nothing outside the lab.

    job = multi_target("ikeprobe", EXPORTER, [L.GATEWAY_ADDR], params={"module": ["quick"]})
    prom = Prometheus(lab, [job])
    prom.start()
    prom.wait_for('up{job="ikeprobe"}', lambda r: r and r[0]["value"][1] == "1")

Ready in well under a second, but Prometheus 2.42 hands new targets to
its scrapers at most every 5 s, and a target's first scrape comes within
one scrape interval after that: a test's first sample is 5-7 s away with
the 1 s interval used here, so a wait_for timeout below 10 s is too short.

It is one of lab.daemons, so Lab.close stops it however the test ends.
The package's own systemd service and /etc/prometheus are not used: the
lab starts its own process with its own files.

Standard library only.
"""

import json
import os
import subprocess
import time
import urllib.parse

import lab as L

PROMETHEUS = "/usr/bin/prometheus"

# Run inside the namespace: GET one URL, print the status and the body.
# No proxy, whatever the environment says: the server is in this namespace.
_GET = """import sys, urllib.error, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    r = opener.open(sys.argv[1], timeout=float(sys.argv[2]))
except urllib.error.HTTPError as e:
    r = e
except OSError as e:
    sys.exit(f"{sys.argv[1]}: {e}")
sys.stdout.write(f"{r.status}\\n" + r.read().decode("utf-8", "replace"))
"""


def multi_target_relabel(exporter):
    """relabel_configs of the multi-target exporter pattern (as
    blackbox_exporter documents it): each static target becomes the
    `target' parameter and the instance label, and the scrape goes to the
    exporter (host:port) instead."""
    return [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter},
    ]


class ScrapeJob:
    """One entry of scrape_configs.

    name            job_name (the job label)
    targets         static targets, host:port (multi-target: what the
                    relabelling turns into the target parameter)
    metrics_path    the exporter's path
    params          URL parameters, {"module": ["quick"]}: lists, as
                    Prometheus wants them
    scrape_interval, scrape_timeout
                    Prometheus durations ("1s"); a short interval, since a
                    target's first scrape comes up to one interval after
                    start. The timeout defaults to the interval.
    relabel_configs list of dicts in Prometheus's own keys
    """

    def __init__(self, name, targets, metrics_path="/metrics", params=None,
                 scrape_interval="1s", scrape_timeout=None, relabel_configs=()):
        self.name = name
        self.targets = list(targets)
        self.metrics_path = metrics_path
        self.params = params or {}
        self.scrape_interval = scrape_interval
        self.scrape_timeout = scrape_timeout or scrape_interval
        self.relabel_configs = list(relabel_configs)

    def config(self):
        job = {
            "job_name": self.name,
            "metrics_path": self.metrics_path,
            "scrape_interval": self.scrape_interval,
            "scrape_timeout": self.scrape_timeout,
            "static_configs": [{"targets": self.targets}],
        }
        if self.params:
            job["params"] = {k: list(v) for k, v in self.params.items()}
        if self.relabel_configs:
            job["relabel_configs"] = self.relabel_configs
        return job


def multi_target(name, exporter, targets, metrics_path="/probe", **kw):
    """A ScrapeJob of the multi-target exporter pattern: each of targets
    (gateways, not host:port) is scraped as EXPORTER/METRICS_PATH?target=…,
    labelled instance=<target>."""
    return ScrapeJob(name, targets, metrics_path=metrics_path,
                     relabel_configs=multi_target_relabel(exporter), **kw)


class Prometheus(L.Daemon):
    """Prometheus in namespace ns (default: the lab's client) listening on
    listen (host:port in that namespace), scraping jobs (ScrapeJobs), its
    files (prometheus.yml, prometheus.log, the database) under one
    directory of the lab's."""
    NAME = "prometheus"
    LOGS = ("prometheus.log",)
    REPORT_EXIT = True

    def __init__(self, lab, jobs, ns=None, listen="127.0.0.1:9090", name="prometheus"):
        self.lab = lab
        self.jobs = list(jobs)
        self.ns = ns or lab.client
        self.listen = listen
        self.dir = os.path.join(lab.tmp, name)
        self.proc = None
        lab.daemons.append(self)

    def config(self):
        """prometheus.yml as JSON, which is YAML too: no YAML writer needed,
        and every string is quoted."""
        return json.dumps({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [j.config() for j in self.jobs],
        }, indent=2) + "\n"

    def start(self, timeout=30):
        """Start Prometheus; returns (its pid) once /-/ready answers 200,
        that is when the database is open and the configuration loaded."""
        if not os.access(PROMETHEUS, os.X_OK):
            raise L.LabUnavailable(f"{PROMETHEUS} not found (install prometheus)")
        if self.running():
            raise L.LabError("prometheus already running")
        os.makedirs(self.dir, exist_ok=True)
        conf = os.path.join(self.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write(self.config())
        out = open(os.path.join(self.dir, "prometheus.log"), "ab")
        # A small retention: a database that lives for one test. ip netns
        # exec execs Prometheus, so the pid is its own.
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, PROMETHEUS,
             f"--config.file={conf}",
             f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
             "--storage.tsdb.retention.time=1h",
             f"--web.listen-address={self.listen}"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=L.die_with_parent)
        out.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise L.LabError(f"prometheus exited with {self.proc.returncode}\n"
                                 + self.log(tail=30))
            if self._get("/-/ready", timeout=2, check=False)[0] == 200:
                return self.proc.pid
            if time.monotonic() > deadline:
                raise L.LabError(f"prometheus not ready within {timeout}s\n"
                                 + self.log(tail=30))
            time.sleep(0.1)

    def _get(self, path, params=None, timeout=10, check=True):
        """GET path from inside the namespace: (status, body); status None
        if there was no HTTP answer at all (not listening yet)."""
        url = f"http://{self.listen}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        rc, out, err = self.lab.run_in(self.ns, ["/usr/bin/python3", "-c", _GET, url,
                                                 str(timeout)], timeout=timeout + 5)
        if rc != 0:
            if check:
                raise L.LabError(f"prometheus: GET {url}: {err.strip()}")
            return None, err
        status, _, body = out.partition("\n")
        return int(status), body

    def api(self, path, params=None):
        """The data of an HTTP API answer (/api/v1/...); LabError with
        Prometheus's own errorType and error if it failed."""
        status, body = self._get(path, params)
        try:
            doc = json.loads(body)
        except ValueError as e:
            raise L.LabError(f"prometheus: {path}: HTTP {status}, not JSON: {body[:200]}") from e
        if doc.get("status") != "success":
            raise L.LabError(f"prometheus: {path} {params or ''}: HTTP {status}, "
                             f"{doc.get('errorType')}: {doc.get('error')}")
        return doc["data"]

    def query(self, promql):
        """An instant query: the result, for a vector a list of
        {"metric": {labels}, "value": [time, "value as text"]}."""
        return self.api("/api/v1/query", {"query": promql})["result"]

    def targets(self):
        """The active targets, each with its labels, scrapeUrl, health
        ("up", "down", "unknown" before the first scrape) and lastError."""
        return self.api("/api/v1/targets", {"state": "active"})["activeTargets"]

    def wait_for(self, promql, predicate=bool, timeout=30, interval=0.25):
        """Query promql until predicate(result) holds; returns that result.
        LabError on timeout, with the last result and each target's health
        and last error, which mostly say why."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(promql)
            if predicate(result):
                return result
            if time.monotonic() > deadline:
                health = "\n".join(
                    f"  {t['scrapeUrl']}: {t['health']} {t.get('lastError') or ''}"
                    for t in self.targets())
                raise L.LabError(f"prometheus: {promql} not as expected within {timeout}s; "
                                 f"last result {json.dumps(result)}\ntargets:\n{health}")
            time.sleep(interval)
