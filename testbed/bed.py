"""The whole testbed: topology + two slapd backends + the engine, with a state file.

Testbed().up() builds everything (after removing leftovers of a crashed run),
recording pids in STATE_PATH as it goes; Testbed.load().down() (or down() on the
same object) stops the recorded processes by pid (engine first, slapds in
parallel), removes the namespaces/veths/tap/bridge by name, and deletes the
state file and database directories. Logs stay in /tmp/pe-testbed/logs until the
next up(). up() and down() are safe to repeat. restart_engine(config) replaces the
running engine by one with another config file (and back, with config=None).
"""
import json
import os
import shutil

from . import engine as engine_mod
from . import slapd, topo
from . import vhost as vhost_mod
from .netns import pid_alive

BASE_DIR = slapd.BASE_DIR
STATE_PATH = os.path.join(BASE_DIR, "state.json")
BACKENDS = ("be1", "be2")


class Testbed:
    def __init__(self):
        self.slapds = {}      # name -> slapd.Slapd
        self.engine = None    # engine.Engine or None

    @classmethod
    def load(cls):
        """A Testbed whose processes are those recorded in STATE_PATH (if any)."""
        bed = cls()
        try:
            with open(STATE_PATH) as f:
                state = json.load(f)
        except (FileNotFoundError, ValueError):
            return bed
        for name, pid in state.get("slapd", {}).items():
            bed.slapds[name] = slapd.Slapd(name, pid=pid)
        eng = state.get("engine")
        if eng:
            bed.engine = engine_mod.Engine(pid=eng["pid"], marker=eng["marker"], config=eng.get("config"))
            vh = eng.get("vhost")  # virtio profile: the bridge process recorded with the engine
            bed.engine.vhost = vhost_mod.VhostBridge(vh["socket"], pid=vh["pid"]) if vh else None
        return bed

    def _save(self):
        state = {"slapd": {n: s.pid for n, s in self.slapds.items()},
                 "engine": ({"pid": self.engine.pid, "marker": self.engine.marker,
                             "config": self.engine.config, "argv": self.engine.argv(),
                             "log": self.engine.log_path,
                             "vhost": ({"pid": self.engine.vhost.pid, "socket": self.engine.vhost.socket}
                                       if self.engine.vhost else None)}
                            if self.engine else None)}
        tmp = STATE_PATH + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=2)
        os.replace(tmp, STATE_PATH)

    def up(self, with_engine=True):
        """Build topology, start and wait for slapd backends, then (optionally) the engine."""
        Testbed.load().down()
        shutil.rmtree(BASE_DIR, ignore_errors=True)
        os.makedirs(BASE_DIR)
        try:
            topo.up()
            self.slapds = {n: slapd.Slapd(n) for n in BACKENDS}
            for s in self.slapds.values():
                s.prepare()
            for s in self.slapds.values():
                s.start()
                self._save()
            for s in self.slapds.values():
                s.wait_ready()
            if with_engine:
                self.engine = engine_mod.Engine()
                self.engine.spawn()
                self._save()
                self.engine.wait_ready()
        except BaseException:
            self.down()
            raise
        return self

    def restart_engine(self, config=None):
        """Stop the running engine (if any) and start a new one with `config` (None: the
        default, $PE_CONFIG or testbed/proxyengine.conf); return when it is ready with
        every backend up. The topology and the slapd backends are untouched."""
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
            self._save()
        self.engine = engine_mod.Engine(config=config)
        self.engine.spawn()
        topo.flush_neighbours()  # the new engine has another MAC
        self._save()
        try:
            self.engine.wait_ready()
        except BaseException:
            self.engine = None  # wait_ready() stopped it
            self._save()
            raise
        return self.engine

    def down(self):
        """Stop recorded processes by pid, remove links/netns by name. Returns a summary dict."""
        summary = {}
        try:
            if self.engine is not None:
                summary["engine_rc"] = self.engine.stop()
                self.engine = None
            summary["slapd_stopped"] = slapd.stop_all(list(self.slapds.values()))
            self.slapds = {}
        finally:
            topo.down()
            for name in BACKENDS:
                shutil.rmtree(os.path.join(BASE_DIR, name), ignore_errors=True)
            if os.path.exists(STATE_PATH):
                os.unlink(STATE_PATH)
            shutil.rmtree(f"/var/run/dpdk/{engine_mod.FILE_PREFIX}", ignore_errors=True)  # DPDK runtime dir
            vhost_mod.cleanup()  # virtio profile: pe-vtap0 and the bridge's runtime dir, by name
        summary["leftovers"] = topo.leftovers()
        return summary

    def status(self):
        """Recorded processes with liveness, and which of our links/namespaces exist."""
        st = {"slapd": {n: {"pid": s.pid, "alive": pid_alive(s.pid)} for n, s in self.slapds.items()},
              "engine": ({"pid": self.engine.pid, "alive": self.engine.alive()} if self.engine else None),
              "links_and_netns": topo.leftovers()}
        return st
