#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""image-platform.py: sets the platform (os, architecture, variant) that
the images of a `docker save` archive declare, for `docker load`.

    docker save IMAGE | image-platform.py linux/arm/v7 | docker load

Why: the classic builder (the only one on Debian's Docker 20.10) records
the engine's own architecture in every image it builds, also when the
programs inside are for another one (../../Dockerfiles/toolchain.sh
cross-compiles them). `./stack build --platform` runs this on each such
image so that `docker image inspect`, registries, manifest lists and
`docker pull --platform` see the right platform.

What changes: each image's config JSON gets "os", "architecture" and
"variant" (removed when the platform has none); its digest, the image ID,
changes with it, so every reference to it is rewritten: manifest.json's
"Config" (the layout every engine's `docker load` reads), and in the OCI
layout that Docker 25 and later write (index.json, blobs/sha256/), the
manifests that name the config, the indexes that name those manifests,
their "platform" fields and digest annotations, up to index.json.
Layers and everything else are copied byte for byte. The same input always
gives the same output, so rebuilding an unchanged image gives the same ID.

Standard library only (python3 is needed by ./stack only for builds for
another platform). Exit status 0, or 1 with a message on stderr when the
input is not such an archive or the platform is malformed.
"""

import hashlib
import io
import json
import re
import shutil
import sys
import tarfile
import tempfile

# Small files (JSON) are read into memory; layers are streamed.
SMALL = 4 << 20

INDEX_TYPES = {"application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json"}
MANIFEST_TYPES = {"application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json"}
CONFIG_TYPES = {"application/vnd.oci.image.config.v1+json",
                "application/vnd.docker.container.image.v1+json"}


class Bad(Exception):
    """The input cannot be rewritten; the message says why."""


def parse_platform(text):
    """'os/arch[/variant]' -> (os, arch, variant or None)."""
    if not re.fullmatch(r"[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?", text or ""):
        raise Bad(f"platform '{text}': expected OS/ARCH[/VARIANT], "
                  "e.g. linux/arm64 or linux/arm/v7")
    parts = text.split("/")
    return parts[0], parts[1], (parts[2] if len(parts) == 3 else None)


def dumps(obj):
    """Compact JSON; the same object always gives the same bytes."""
    return json.dumps(obj, separators=(",", ":")).encode()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def norm(name):
    """A member's name without a leading ./ (tar writes either)."""
    return name[2:] if name.startswith("./") else name


def blob_path(digest):
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexpart):
        raise Bad(f"unsupported digest {digest!r}")
    return f"blobs/sha256/{hexpart}"


class Archive:
    """The members of a `docker save` tar: small ones in memory, the
    others read from the (seekable) input when written out."""

    def __init__(self, f):
        self.f = f
        try:
            self.tar = tarfile.open(fileobj=f, mode="r:")
        except tarfile.TarError as e:
            raise Bad(f"the input is not a tar archive ({e})") from None
        self.members = self.tar.getmembers()
        self.by_name = {norm(m.name): m for m in self.members}
        self.small = {}
        self.replaced = {}   # name -> new bytes
        self.removed = set()
        self.added = {}      # name -> bytes

    def read(self, name):
        """The bytes of member NAME (following symbolic links inside the
        archive), or Bad when it is missing."""
        if name in self.added:
            return self.added[name]
        if name in self.replaced:
            return self.replaced[name]
        m = self.by_name.get(name)
        if m is None:
            raise Bad(f"the archive has no {name}")
        if name not in self.small:
            fobj = self.tar.extractfile(m)
            if fobj is None:
                raise Bad(f"{name} in the archive is not a file")
            self.small[name] = fobj.read()
        return self.small[name]

    def has(self, name):
        return name in self.by_name or name in self.added

    def put(self, name, data):
        """Sets member NAME to DATA (replacing or adding it)."""
        if name in self.by_name:
            self.removed.discard(name)
            self.replaced[name] = data
        else:
            self.added[name] = data

    def drop(self, name):
        self.replaced.pop(name, None)
        self.added.pop(name, None)
        if name in self.by_name:
            self.removed.add(name)

    def write(self, out):
        """Writes the archive with the changes, members in their order,
        new ones at the end."""
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) \
                as w:
            for m in self.members:
                name = norm(m.name)
                if name in self.removed:
                    continue
                if name in self.replaced:
                    info = tarfile.TarInfo(m.name)
                    info.mode, info.mtime = m.mode, m.mtime
                    info.uid, info.gid = m.uid, m.gid
                    data = self.replaced[name]
                    info.size = len(data)
                    w.addfile(info, io.BytesIO(data))
                elif m.isreg():
                    w.addfile(m, self.tar.extractfile(m))
                else:
                    w.addfile(m)
            for name, data in sorted(self.added.items()):
                info = tarfile.TarInfo(name)
                info.mode = 0o444
                info.size = len(data)
                w.addfile(info, io.BytesIO(data))


class Rewriter:
    """Sets the platform of every image config in an Archive and fixes
    every reference to the configs and manifests it changed."""

    def __init__(self, archive, platform):
        self.a = archive
        self.os, self.arch, self.variant = platform
        self.digests = {}    # old digest -> new digest (configs, manifests)
        self.images = []     # (old config digest, new config digest)

    def set_platform(self, obj):
        obj["os"] = self.os
        obj["architecture"] = self.arch
        if self.variant:
            obj["variant"] = self.variant
        else:
            obj.pop("variant", None)

    def config(self, data):
        """The new bytes of an image config; remembers its digests."""
        try:
            obj = json.loads(data)
        except ValueError:
            raise Bad("an image config in the archive is not JSON") from None
        if not isinstance(obj, dict) or "rootfs" not in obj:
            raise Bad("an image config in the archive has no rootfs: not "
                      "an image config")
        self.set_platform(obj)
        new = dumps(obj)
        old_d, new_d = sha(data), sha(new)
        if old_d not in self.digests:
            self.images.append((old_d, new_d))
        self.digests[old_d] = new_d
        return new

    def replace_blob(self, old_digest, data):
        """Stores DATA as a blob; drops the old blob. Returns the new
        digest."""
        new_digest = sha(data)
        self.digests[old_digest] = new_digest
        if new_digest != old_digest:
            self.a.drop(blob_path(old_digest))
        self.a.put(blob_path(new_digest), data)
        return new_digest

    def descriptor(self, desc):
        """Rewrites what DESC (an OCI descriptor) points to; returns the
        new descriptor."""
        digest = desc.get("digest", "")
        data = self.a.read(blob_path(digest))
        if sha(data) != digest:
            raise Bad(f"blob {digest} does not match its digest")
        try:
            obj = json.loads(data)
        except ValueError:
            raise Bad(f"blob {digest} is not JSON") from None
        mt = desc.get("mediaType") or obj.get("mediaType")
        if mt in INDEX_TYPES:
            obj["manifests"] = [self.descriptor(d) for d in
                                obj.get("manifests", [])]
            self.annotations(obj["manifests"])
        elif mt in MANIFEST_TYPES:
            cfg = obj.get("config") or {}
            ann = desc.get("annotations") or {}
            if cfg.get("mediaType") not in CONFIG_TYPES or \
                    ann.get("vnd.docker.reference.type") == \
                    "attestation-manifest":
                return desc  # not an image (e.g. an attestation): as is
            cdata = self.a.read(blob_path(cfg["digest"]))
            if sha(cdata) != cfg["digest"]:
                raise Bad(f"blob {cfg['digest']} does not match its digest")
            if b'"unknown"' in cdata and \
                    json.loads(cdata).get("architecture") == "unknown":
                return desc  # BuildKit's attestations say "unknown"
            new_cfg = self.config(cdata)
            cfg["digest"] = self.replace_blob(cfg["digest"], new_cfg)
            cfg["size"] = len(new_cfg)
            obj["config"] = cfg
        else:
            return desc  # something else: kept as is
        new = dict(desc)
        if mt in MANIFEST_TYPES and "platform" in desc:
            plat = dict(desc["platform"])
            self.set_platform(plat)
            new["platform"] = plat
        out = dumps(obj)
        new["digest"] = self.replace_blob(digest, out)
        new["size"] = len(out)
        return new

    def annotations(self, descs):
        """Annotations that name a rewritten digest (an attestation's
        vnd.docker.reference.digest) name the new one."""
        for d in descs:
            ann = d.get("annotations")
            if isinstance(ann, dict):
                for k, v in ann.items():
                    if v in self.digests:
                        ann[k] = self.digests[v]

    def run(self):
        a = self.a
        if not a.has("manifest.json") and not a.has("index.json"):
            raise Bad("the input has neither manifest.json nor index.json: "
                      "not a `docker save` archive")
        if a.has("index.json"):
            try:
                index = json.loads(a.read("index.json"))
                descs = index["manifests"]
            except (ValueError, KeyError, TypeError):
                raise Bad("index.json is not an OCI image index") from None
            index["manifests"] = [self.descriptor(d) for d in descs]
            self.annotations(index["manifests"])
            a.put("index.json", dumps(index))
        if a.has("manifest.json"):
            try:
                entries = json.loads(a.read("manifest.json"))
                configs = [e["Config"] for e in entries]
            except (ValueError, KeyError, TypeError):
                raise Bad("manifest.json is not a `docker save` manifest") \
                    from None
            for e, name in zip(entries, configs):
                data = a.read(name)
                old = sha(data)
                if old in self.digests:   # done through index.json
                    new_d = self.digests[old]
                    new = a.read(blob_path(new_d)) \
                        if name.startswith("blobs/") else self.config(data)
                else:
                    new = self.config(data)
                    new_d = sha(new)
                if name.startswith("blobs/"):
                    e["Config"] = blob_path(new_d)
                    if a.has(name) and old != new_d:
                        a.drop(name)
                    a.put(e["Config"], new)
                else:
                    # The legacy layout: the config is <hex>.json.
                    e["Config"] = new_d.split(":")[1] + ".json"
                    if name != e["Config"]:
                        a.drop(name)
                    a.put(e["Config"], new)
            a.put("manifest.json", dumps(entries))
        if not self.images:
            raise Bad("the archive holds no image config")
        return self.images


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        print("usage: image-platform.py OS/ARCH[/VARIANT] <in.tar >out.tar",
              file=sys.stderr)
        return 2
    try:
        platform = parse_platform(argv[1])
        with tempfile.TemporaryFile() as spool:
            src = sys.stdin.buffer
            if not src.seekable():
                shutil.copyfileobj(src, spool)
                spool.seek(0)
                src = spool
            archive = Archive(src)
            images = Rewriter(archive, platform).run()
            archive.write(sys.stdout.buffer)
    except Bad as e:
        print(f"image-platform: {e}", file=sys.stderr)
        return 1
    for old, new in images:
        print(f"image-platform: {old[7:19]} -> {new[7:19]} ({argv[1]})",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
