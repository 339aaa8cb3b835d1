# tensord: the daemon and tensorctl, built from source.
#
#   docker build -t tensord .                       # CPU image (the default target)
#   docker run -p 127.0.0.1:50051:50051 tensord     # serves on 0.0.0.0:50051 inside
#
# GPU image: the `gpu` target builds on a CUDA development base and runs on a
# CUDA runtime base that the operator names (nothing here pulls one):
#
#   docker build --target gpu \
#     --build-arg CUDA_DEVEL_IMAGE=<a CUDA 12+ devel image, Debian 12 or Ubuntu 24.04> \
#     --build-arg CUDA_RUNTIME_IMAGE=<the matching CUDA runtime image> -t tensord:gpu .
#   docker run --gpus all -p 127.0.0.1:50051:50051 tensord:gpu
#
# Needs BuildKit (Docker >= 23 uses it by default; DOCKER_BUILDKIT=1 before),
# which builds only the stages a target uses. No `# syntax=` line on purpose:
# the built-in frontend does all this file asks, and builds offline.
# README.md ("Containers and clusters") has sizes, times and the compose and
# Kubernetes recipes.

ARG DEBIAN_IMAGE=debian:bookworm-slim
ARG CUDA_DEVEL_IMAGE=cuda-devel-image-named-by-the-operator
ARG CUDA_RUNTIME_IMAGE=cuda-runtime-image-named-by-the-operator

# ---------------------------------------------------------------- build
# Compiles tensord and tensorctl, strips them, and lists the packages that
# hold the shared libraries they load (so the runtime stage installs exactly
# those, on Debian and Ubuntu alike).
FROM ${DEBIAN_IMAGE} AS build-base
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build ccache pkg-config file \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto \
      libabsl-dev libopenblas-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*

FROM build-base AS build
ARG TENSORD_JOBS=
WORKDIR /src
COPY . .
# The ccache directory is a BuildKit cache mount: rebuilding after a source
# change recompiles only what changed.
RUN --mount=type=cache,target=/ccache,sharing=locked \
    CCACHE_DIR=/ccache CCACHE_BASEDIR=/src \
    cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENSORD_BUILD_TESTS=OFF \
 && CCACHE_DIR=/ccache CCACHE_BASEDIR=/src \
    cmake --build /build --target tensord tensorctl -j${TENSORD_JOBS:-$(nproc)} \
 && mkdir -p /out/bin \
 && strip -o /out/bin/tensord /build/server/tensord \
 && strip -o /out/bin/tensorctl /build/client/cpp/tensorctl \
 && ldd /out/bin/tensord /out/bin/tensorctl | awk '/=> \//{print $3}' | sort -u \
      | xargs -r realpath | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u \
      | grep -Ev '^(libc6|libgcc-s1|libstdc\+\+6)$' > /out/runtime-packages \
 && echo "runtime packages:" $(cat /out/runtime-packages)

# ---------------------------------------------------------------- runtime (CPU)
FROM ${DEBIAN_IMAGE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin tensord
COPY --from=build /out/bin/ /usr/local/bin/
USER 10001:10001
# Inside a container every interface is the container's own: listen on all of
# them. Publish the port on 127.0.0.1 unless TLS and tokens are configured.
ENV TENSORD_ADDRESS=127.0.0.1:50051
EXPOSE 50051 9464
# SIGTERM (docker stop) drains calls in flight for --drain-seconds, then exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["tensorctl", "health", "--timeout", "3"]
ENTRYPOINT ["tensord"]
CMD ["--listen", "0.0.0.0:50051", "--metrics-listen", "0.0.0.0:9464"]

# ---------------------------------------------------------------- GPU
# The same build on a CUDA devel base (nvcc found: the CUDA backend is built
# for sm_80/sm_90 with PTX for newer GPUs), run on a CUDA runtime base.
FROM ${CUDA_DEVEL_IMAGE} AS gpu-build-base
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build ccache pkg-config file \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto \
      libabsl-dev libopenblas-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*

FROM gpu-build-base AS gpu-build
ARG TENSORD_JOBS=
WORKDIR /src
COPY . .
ENV PATH=/usr/local/cuda/bin:${PATH}
RUN --mount=type=cache,target=/ccache,sharing=locked \
    command -v nvcc >/dev/null || { echo "no nvcc in CUDA_DEVEL_IMAGE: name a CUDA *devel* image"; exit 1; } \
 && CCACHE_DIR=/ccache CCACHE_BASEDIR=/src \
    cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTENSORD_BUILD_TESTS=OFF \
 && CCACHE_DIR=/ccache CCACHE_BASEDIR=/src \
    cmake --build /build --target tensord tensorctl -j${TENSORD_JOBS:-$(nproc)} \
 && mkdir -p /out/bin \
 && strip -o /out/bin/tensord /build/server/tensord \
 && strip -o /out/bin/tensorctl /build/client/cpp/tensorctl \
 && ldd /out/bin/tensord /out/bin/tensorctl | awk '/=> \//{print $3}' | sort -u \
      | grep -v '/usr/local/cuda' \
      | xargs -r realpath | xargs -r dpkg -S 2>/dev/null | cut -d: -f1 | sort -u \
      | grep -Ev '^(libc6|libgcc-s1|libstdc\+\+6)$|^(cuda-|libcublas|libnv)' > /out/runtime-packages \
 && echo "runtime packages:" $(cat /out/runtime-packages)

FROM ${CUDA_RUNTIME_IMAGE} AS gpu
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=gpu-build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
 && xargs -a /tmp/runtime-packages apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin tensord
COPY --from=gpu-build /out/bin/ /usr/local/bin/
USER 10001:10001
ENV TENSORD_ADDRESS=127.0.0.1:50051
# The NVIDIA container runtime mounts the driver for these capabilities.
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
EXPOSE 50051 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["tensorctl", "health", "--timeout", "3"]
ENTRYPOINT ["tensord"]
CMD ["--listen", "0.0.0.0:50051", "--metrics-listen", "0.0.0.0:9464"]

# The default target: the CPU image.
FROM runtime
