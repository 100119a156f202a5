# Base image of the CUDA flavour of trainer-svc and scorer-svc: a JRE 17 on the CUDA 12.8 runtime with libtorch
# 2.7.1 cu128 under /opt/libtorch. DJL stays offline: its pytorch-jni jar carries the cu128 JNI build, and these
# variables point it at this libtorch (PYTORCH_LIBRARY_PATH, PYTORCH_VERSION=2.7.1, PYTORCH_FLAVOR=cu128). The services
# are layered on top by Jib (k8s/images/build-services.sh cuda, run by .github/workflows/images.yml); nothing here is
# downloaded at run time. The workflow tags this image ghcr.io/<owner>/jre17-libtorch:2.7.1-cu128-<hash of this file
# and the libtorch sha256> and rebuilds it only when that changes. It runs as UID 185, as the pods' runAsUser.
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu128/libtorch-cxx11-abi-shared-with-deps-2.7.1%2Bcu128.zip
# The archive is pinned, always: the build fails without LIBTORCH_SHA256 (64 hex digits) and on any mismatch. The
# workflow passes the sha256 pinned in .github/workflows/images.yml (env LIBTORCH_CU128_SHA256); by hand:
#   docker build --build-arg LIBTORCH_SHA256=<sha256> -f k8s/images/cuda-base.Dockerfile k8s/images
ARG LIBTORCH_SHA256
RUN echo "$LIBTORCH_SHA256" | grep -Eqx '[0-9a-f]{64}' \
 || { echo "LIBTORCH_SHA256 is required: the sha256 of $LIBTORCH_URL, 64 lower-case hex digits" >&2; exit 1; }
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless curl unzip ca-certificates \
 && curl -fsSL "$LIBTORCH_URL" -o /tmp/libtorch.zip \
 && echo "$LIBTORCH_SHA256  /tmp/libtorch.zip" | sha256sum -c - \
 && unzip -q /tmp/libtorch.zip -d /opt \
 && rm -rf /tmp/libtorch.zip /var/lib/apt/lists/* \
 && useradd --uid 185 --no-create-home --home-dir /deployments clinlora
ENV PYTORCH_LIBRARY_PATH=/opt/libtorch/lib \
    PYTORCH_VERSION=2.7.1 \
    PYTORCH_FLAVOR=cu128 \
    LD_LIBRARY_PATH=/opt/libtorch/lib \
    DJL_CACHE_DIR=/tmp/djl-cache
USER 185
