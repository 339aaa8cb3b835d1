"""Build hook: generates the gRPC stubs of tensord.v1 from the .proto.

The wire contract lives once, in <repo>/proto/tensord/v1/tensord.proto. The
Python messages and stubs are generated from it whenever the package is built
or installed (`pip install client/python`, `pip install -e client/python`),
into tensord/v1/ (git-ignored), so that the generated module's own absolute
import (`from tensord.v1 import tensord_pb2`) resolves inside this package.
"""

import os
import re
import sys

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_REL = os.path.join("tensord", "v1", "tensord.proto")
# <repo>/proto when building from the repository; ./proto inside an sdist.
PROTO_ROOTS = [os.path.join(HERE, "proto"),
               os.path.normpath(os.path.join(HERE, "..", "..", "proto"))]
OUT_DIR = os.path.join(HERE, "tensord", "v1")
PB2 = os.path.join(OUT_DIR, "tensord_pb2.py")


def _proto_root():
    for root in PROTO_ROOTS:
        if os.path.exists(os.path.join(root, PROTO_REL)):
            return root
    return None


def generate_stubs(force=False):
    root = _proto_root()
    if root is None:
        if os.path.exists(PB2):
            return  # prebuilt (e.g. from an sdist built elsewhere)
        raise RuntimeError("tensord.proto not found in %s" % PROTO_ROOTS)
    proto = os.path.join(root, PROTO_REL)
    if not force and os.path.exists(PB2) and os.path.getmtime(PB2) >= os.path.getmtime(proto):
        return
    from grpc_tools import protoc
    import grpc_tools

    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    os.makedirs(OUT_DIR, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        "-I" + root,
        "-I" + include,
        "--python_out=" + HERE,
        "--pyi_out=" + HERE,
        "--grpc_python_out=" + HERE,
        proto,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("grpc_tools.protoc failed on " + proto)
    with open(os.path.join(OUT_DIR, "__init__.py"), "w") as f:
        f.write('"""Generated from proto/tensord/v1/tensord.proto at build time. Do not edit."""\n')


def _runtime_requirements():
    """grpcio/protobuf floors matching the generator (generated code checks them)."""
    reqs = ["numpy>=1.21"]
    grpc_floor = protobuf_floor = None
    try:
        with open(os.path.join(OUT_DIR, "tensord_pb2_grpc.py")) as f:
            m = re.search(r"GRPC_GENERATED_VERSION = '([0-9.]+)'", f.read())
            grpc_floor = m.group(1) if m else None
        with open(PB2) as f:
            m = re.search(r"Protobuf Python Version: ([0-9]+)\.([0-9]+)\.([0-9]+)", f.read())
            if m:
                major = int(m.group(1))
                protobuf_floor = "%s.%s.%s,<%d" % (m.group(1), m.group(2), m.group(3), major + 1)
    except OSError:
        pass
    reqs.append("grpcio>=" + grpc_floor if grpc_floor else "grpcio>=1.62")
    reqs.append("protobuf>=" + protobuf_floor if protobuf_floor else "protobuf>=4.25")
    return reqs


class BuildPyWithStubs(build_py):
    def run(self):
        generate_stubs()
        super().run()


class SdistWithProto(sdist):
    """Ships the .proto inside the sdist so it can be built outside the repo."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        root = _proto_root()
        if root is not None:
            dst = os.path.join(base_dir, "proto", "tensord", "v1")
            os.makedirs(dst, exist_ok=True)
            self.copy_file(os.path.join(root, PROTO_REL), dst)


# Metadata is computed before build_py runs, so generate first to learn the
# generator's versions (cheap: skipped when the stubs are up to date).
try:
    generate_stubs()
except ImportError:
    # grpcio-tools missing (metadata-only query outside PEP 517 isolation).
    print("tensord setup: grpcio-tools not available; stubs not generated", file=sys.stderr)

setup(
    install_requires=_runtime_requirements(),
    cmdclass={"build_py": BuildPyWithStubs, "sdist": SdistWithProto},
)
