#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scripts/stack/image-platform.py, the tool ./stack build --platform
uses to set an image's os/architecture/variant: on archives laid out as
each kind of engine's `docker save` writes them. No engine needed (label
unit); the e2e test tests/e2e/test_images_arm.py runs it on real images
with `docker save | ... | docker load`.

The archives are made here, in the three layouts:
- legacy: Docker up to 24 (Debian's 20.10): <hex>.json configs,
  <v1 id>/{VERSION,json,layer.tar}, manifest.json, repositories;
- oci: Docker 25 and later, classic image store: blobs/sha256/,
  index.json with the image's manifest, oci-layout, and manifest.json
  pointing into blobs/;
- containerd: Docker Desktop's containerd image store: index.json naming
  an image index, which names the platform's manifest and a BuildKit
  attestation manifest that refers to it by digest.

For each: every digest in the result is its blob's sha256, every
reference (manifest.json, index.json, indexes, manifests, annotations)
names the new config and manifests, the config says the new platform and
is otherwise unchanged, the layers are byte for byte the same, no stale
config or manifest is left, the same input gives the same output, and
bad input is refused with a message and no output.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

from part5test import SOURCE, check, run, step

TOOL = os.path.join(SOURCE, "scripts", "stack", "image-platform.py")

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def jbytes(obj, indent=None):
    return json.dumps(obj, indent=indent).encode()


def layer_tar():
    """A small layer: one file, as a tar."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"\x7fELF pretend program\n" * 50
        info = tarfile.TarInfo("usr/local/bin/hello")
        info.size = len(data)
        info.mode = 0o755
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


LAYER = layer_tar()


def config(arch="amd64"):
    """An image config as the classic builder writes it (Go's key order,
    HTML characters escaped as Go does)."""
    return {"architecture": arch,
            "config": {"Env": ["NAME=World"], "User": "10001:10001",
                       "Entrypoint": ["/usr/local/bin/hello"],
                       "Labels": {"org.opencontainers.image.title":
                                  "part5/hello \u003cC\u003e"}},
            "created": "2026-01-01T00:00:00.000000000Z",
            "history": [{"created_by": "COPY /rootfs/ / # buildkit"}],
            "os": "linux",
            "rootfs": {"type": "layers",
                       "diff_ids": ["sha256:" + sha(LAYER)]}}


def make_tar(files):
    """FILES: [(name, bytes or None for a directory)] -> tar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def legacy_archive(cfg=None):
    cfg = jbytes(cfg or config())
    v1 = sha(b"v1" + LAYER)
    manifest = [{"Config": sha(cfg) + ".json",
                 "RepoTags": ["part5/hello:1.0.0-arm64"],
                 "Layers": [v1 + "/layer.tar"]}]
    return make_tar([
        (sha(cfg) + ".json", cfg),
        (v1 + "/", None),
        (v1 + "/VERSION", b"1.0"),
        (v1 + "/json", jbytes({"id": v1, "architecture": "amd64"})),
        (v1 + "/layer.tar", LAYER),
        ("manifest.json", jbytes(manifest)),
        ("repositories",
         jbytes({"part5/hello": {"1.0.0-arm64": v1}}))])


def oci_manifest(cfg):
    return jbytes({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                   "config": {"mediaType": OCI_CONFIG,
                              "digest": "sha256:" + sha(cfg),
                              "size": len(cfg)},
                   "layers": [{"mediaType": OCI_LAYER,
                               "digest": "sha256:" + sha(LAYER),
                               "size": len(LAYER)}]}, indent=2)


def oci_archive():
    """As Docker 25+ (classic store) writes it."""
    cfg = jbytes(config())
    man = oci_manifest(cfg)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [{"mediaType": OCI_MANIFEST,
                            "digest": "sha256:" + sha(man),
                            "size": len(man),
                            "annotations": {
                                "io.containerd.image.name":
                                    "docker.io/part5/hello:1.0.0-arm64",
                                "org.opencontainers.image.ref.name":
                                    "1.0.0-arm64"}}]}
    manifest = [{"Config": "blobs/sha256/" + sha(cfg),
                 "RepoTags": ["part5/hello:1.0.0-arm64"],
                 "Layers": ["blobs/sha256/" + sha(LAYER)]}]
    return make_tar([
        ("blobs/", None), ("blobs/sha256/", None),
        ("blobs/sha256/" + sha(LAYER), LAYER),
        ("blobs/sha256/" + sha(cfg), cfg),
        ("blobs/sha256/" + sha(man), man),
        ("index.json", jbytes(index)),
        ("manifest.json", jbytes(manifest)),
        ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')])


def containerd_archive():
    """As Docker Desktop's containerd store writes it: index.json ->
    image index -> {platform manifest, attestation manifest}."""
    cfg = jbytes(config())
    man = oci_manifest(cfg)
    att_cfg = b'{"architecture":"unknown","os":"unknown"}'
    att_layer = b'{"_type":"https://in-toto.io/Statement/v0.1"}'
    att = jbytes({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                  "config": {"mediaType": OCI_CONFIG,
                             "digest": "sha256:" + sha(att_cfg),
                             "size": len(att_cfg)},
                  "layers": [{"mediaType": "application/vnd.in-toto+json",
                              "digest": "sha256:" + sha(att_layer),
                              "size": len(att_layer)}]})
    img_index = jbytes({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": "sha256:" + sha(man),
             "size": len(man),
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": OCI_MANIFEST, "digest": "sha256:" + sha(att),
             "size": len(att),
             "platform": {"architecture": "unknown", "os": "unknown"},
             "annotations": {
                 "vnd.docker.reference.digest": "sha256:" + sha(man),
                 "vnd.docker.reference.type": "attestation-manifest"}}]})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX,
             "manifests": [{"mediaType": OCI_INDEX,
                            "digest": "sha256:" + sha(img_index),
                            "size": len(img_index),
                            "annotations": {
                                "io.containerd.image.name":
                                    "docker.io/part5/hello:1.0.0-arm64"}}]}
    blobs = [LAYER, cfg, man, att_cfg, att_layer, att, img_index]
    return make_tar([("blobs/", None), ("blobs/sha256/", None)] +
                    [("blobs/sha256/" + sha(b), b) for b in blobs] +
                    [("index.json", jbytes(index)),
                     ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')])


def tool(data, platform, seekable=False, tmpdir="/tmp"):
    """Runs the tool; returns (exit code, stdout bytes, stderr text).
    SEEKABLE: stdin is a file rather than a pipe (both code paths)."""
    if seekable:
        path = os.path.join(tmpdir, f"p5-image-platform-{os.getpid()}.tar")
        with open(path, "wb") as f:
            f.write(data)
        try:
            with open(path, "rb") as f:
                r = subprocess.run([sys.executable, TOOL, platform],
                                   stdin=f, capture_output=True, timeout=60)
        finally:
            os.unlink(path)
    else:
        r = subprocess.run([sys.executable, TOOL, platform], input=data,
                           capture_output=True, timeout=60)
    return r.returncode, r.stdout, r.stderr.decode()


def members(data):
    """{name: bytes or None (directory)} of a tar."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for m in t.getmembers():
            name = m.name[2:] if m.name.startswith("./") else m.name
            out[name.rstrip("/")] = t.extractfile(m).read() if m.isreg() \
                else None
    return out


def blob(files, digest):
    algo, _, hexpart = digest.partition(":")
    assert algo == "sha256"
    data = files.get("blobs/sha256/" + hexpart)
    check(data is not None, f"blob {digest[:19]} is in the archive")
    check(sha(data) == hexpart, f"blob {digest[:19]} matches its digest")
    return data


def check_config(data, platform):
    """The rewritten config: the platform, and the rest unchanged."""
    os_, arch, *var = platform.split("/")
    cfg = json.loads(data)
    want = config()
    want["os"], want["architecture"] = os_, arch
    if var:
        want["variant"] = var[0]
    check(cfg == want, f"the config says {platform} and is otherwise the "
          "builder's")


def check_oci(files, platform):
    """Walks index.json: every descriptor matches its blob; returns the
    config digests reached and checks the manifests' platforms."""
    os_, arch, *var = platform.split("/")
    configs = []
    referenced = set()

    def walk(desc, depth):
        data = blob(files, desc["digest"])
        referenced.add(desc["digest"])
        check(desc["size"] == len(data), f"{'  ' * depth}descriptor size "
              f"{desc['size']} is the blob's")
        obj = json.loads(data)
        if desc["mediaType"] == OCI_INDEX:
            digests = {d["digest"] for d in obj["manifests"]}
            for d in obj["manifests"]:
                ann = d.get("annotations", {})
                ref = ann.get("vnd.docker.reference.digest")
                if ref:
                    check(ref in digests, "the attestation names the "
                          "rewritten manifest's digest")
                walk(d, depth + 1)
                plat = d.get("platform")
                if plat and plat["architecture"] != "unknown":
                    check(plat.get("os") == os_ and
                          plat.get("architecture") == arch and
                          plat.get("variant") == (var[0] if var else None),
                          f"the index entry's platform is {platform}")
        else:
            referenced.add(obj["config"]["digest"])
            for layer in obj["layers"]:
                referenced.add(layer["digest"])
            c = obj["config"]
            cdata = blob(files, c["digest"])
            check(c["size"] == len(cdata), "config size matches")
            if json.loads(cdata).get("rootfs"):
                configs.append(c["digest"])
                check(obj["layers"][0]["digest"] == "sha256:" + sha(LAYER),
                      "the manifest's layer is the same")

    index = json.loads(files["index.json"])
    for d in index["manifests"]:
        walk(d, 0)
        check(d["annotations"]["io.containerd.image.name"] ==
              "docker.io/part5/hello:1.0.0-arm64", "the image's name is kept")
    stale = [n for n in files if n.startswith("blobs/sha256/") and
             "sha256:" + n.split("/")[-1] not in referenced]
    check(not stale, f"no blob is left unreferenced ({stale})")
    return configs


def check_result(layout, before, after, platform):
    files = members(after)
    orig = members(before)
    if layout == "legacy":
        man = json.loads(files["manifest.json"])
        name = man[0]["Config"]
        check(name.endswith(".json") and name[:-5] == sha(files[name]),
              "manifest.json names the new config, <sha256>.json")
        check_config(files[name], platform)
        old = [n for n in orig if n.endswith(".json") and "/" not in n
               and n != "manifest.json"]
        check(old[0] not in files, "the old config is gone")
        check(man[0]["RepoTags"] == ["part5/hello:1.0.0-arm64"] and
              man[0]["Layers"] == json.loads(orig["manifest.json"])[0][
                  "Layers"], "tags and layers as they were")
        lay = man[0]["Layers"][0]
        check(files[lay] == LAYER, "the layer is byte for byte the same")
        check(files["repositories"] == orig["repositories"],
              "repositories as it was")
        return
    configs = check_oci(files, platform)
    check(len(configs) == 1, "one image config reached from index.json")
    check_config(blob(files, configs[0]), platform)
    if layout == "oci":
        man = json.loads(files["manifest.json"])
        check(man[0]["Config"] == "blobs/sha256/" + configs[0][7:],
              "manifest.json names the same new config blob")
    check(files["blobs/sha256/" + sha(LAYER)] == LAYER,
          "the layer is byte for byte the same")
    check(files["oci-layout"] == orig["oci-layout"], "oci-layout as it was")


LAYOUTS = {"legacy": legacy_archive, "oci": oci_archive,
           "containerd": containerd_archive}


def test_each_layout_and_platform():
    for layout, make in LAYOUTS.items():
        before = make()
        for platform in ("linux/arm64/v8", "linux/arm/v7", "linux/arm/v6",
                         "linux/amd64"):
            step(f"{layout} archive -> {platform}")
            rc, out, err = tool(before, platform)
            check(rc == 0, f"exit 0 ({err.strip()})")
            check("->" in err and platform in err,
                  f"it says what it did: {err.strip()}")
            check_result(layout, before, out, platform)


def test_the_same_input_gives_the_same_output():
    for layout, make in LAYOUTS.items():
        step(f"{layout}: twice, from a pipe and from a file")
        data = make()
        rc1, out1, _ = tool(data, "linux/arm/v7")
        rc2, out2, _ = tool(data, "linux/arm/v7", seekable=True)
        check(rc1 == 0 and rc2 == 0 and out1 == out2,
              "byte for byte the same archive both times")
        rc3, out3, _ = tool(out1, "linux/arm/v7")
        c1 = [n for n in members(out1) if n.endswith(".json")]
        c3 = [n for n in members(out3) if n.endswith(".json")]
        check(rc3 == 0 and sorted(c1) == sorted(c3),
              "run again on its own output: the same names (IDs)")


def test_a_variant_goes_when_the_platform_has_none():
    step("a config that says arm/v7 set to linux/amd64: no variant left")
    cfg = config("arm")
    cfg["variant"] = "v7"
    rc, out, err = tool(legacy_archive(cfg), "linux/amd64")
    files = members(out)
    name = json.loads(files["manifest.json"])[0]["Config"]
    got = json.loads(files[name])
    check(rc == 0 and got["architecture"] == "amd64" and
          "variant" not in got, "architecture amd64, no variant")


def test_bad_input():
    cases = [
        ("not a tar", b"hello, world\n" * 100, "linux/arm64",
         "not a tar archive"),
        ("a tar without manifest.json or index.json",
         make_tar([("hello.txt", b"hi")]), "linux/arm64",
         "neither manifest.json nor index.json"),
        ("a malformed platform", legacy_archive(), "arm64",
         "expected OS/ARCH[/VARIANT]"),
        ("a platform with spaces", legacy_archive(), "linux/arm 64",
         "expected OS/ARCH[/VARIANT]"),
        ("manifest.json naming a missing config",
         make_tar([("manifest.json", jbytes([{"Config": "x.json",
                                               "Layers": []}]))]),
         "linux/arm64", "has no x.json"),
        ("a config that is not JSON",
         make_tar([("c.json", b"{oops"),
                   ("manifest.json", jbytes([{"Config": "c.json"}]))]),
         "linux/arm64", "not JSON"),
    ]
    # An OCI archive whose manifest blob was altered after it was named.
    files = members(oci_archive())
    idx = json.loads(files["index.json"])
    d = idx["manifests"][0]["digest"][7:]
    files["blobs/sha256/" + d] = files["blobs/sha256/" + d] + b" "
    cases.append(("an OCI blob that does not match its digest",
                  make_tar([(n, b) for n, b in files.items()]),
                  "linux/arm64", "does not match its digest"))
    for what, data, platform, msg in cases:
        step(f"bad input: {what}")
        rc, out, err = tool(data, platform)
        check(rc == 1, f"exit 1 ({err.strip()})")
        check(msg in err, f"the message says so: {msg!r}")
        check(out == b"", "nothing on stdout (docker load gets nothing)")
    step("no argument: usage, exit 2")
    r = subprocess.run([sys.executable, TOOL], capture_output=True,
                       timeout=30, input=b"")
    check(r.returncode == 2 and b"usage:" in r.stderr, "usage on stderr")


if __name__ == "__main__":
    run([test_each_layout_and_platform,
         test_the_same_input_gives_the_same_output,
         test_a_variant_goes_when_the_platform_has_none,
         test_bad_input])
