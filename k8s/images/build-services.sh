#!/usr/bin/env bash
# Builds the service images with Jib through Quarkus (the root POM's `images` profile; no Docker daemon) and pushes
# them to the registry. .github/workflows/images.yml runs it once per flavour; it works by hand the same way.
#
#   k8s/images/build-services.sh cpu    # registry-svc tokenizer-svc trainer-svc scorer-svc console-svc -> :$TAG
#   k8s/images/build-services.sh cuda   # trainer-svc scorer-svc on $CUDA_BASE                           -> :$TAG-cuda
#
# Environment: OWNER (required, lower case), TAG (required: X.Y.Z or sha-<short>, without -cuda), MOVING_TAG
# (optional: `main` also tags the same images :main, or :main-cuda for cuda; images.yml sets it on a push to main),
# REGISTRY (ghcr.io), CUDA_BASE (cuda: the base image built from k8s/images/cuda-base.Dockerfile), REGISTRY_USER /
# REGISTRY_PASSWORD (else Jib uses ~/.docker/config.json), and for labels VERSION, SHA, SOURCE (all optional).
#
# ATTACH_SBOM=true (images.yml sets it) then attaches to each image pushed its CycloneDX SBOM, the one this same build
# wrote (<svc>/target/<svc>-cyclonedx.json, the root POM's cyclonedx-maven-plugin), as a signed attestation:
# `cosign attest --type cyclonedx` on the image's digest (<svc>/target/jib-image.digest, written by Jib). cosign signs
# keyless (in GitHub Actions with the workflow's OIDC identity; by hand it opens a browser) and pushes with the
# credentials of ~/.docker/config.json (`cosign login` or `docker login`).
set -euo pipefail
cd "$(dirname "$0")/../.."

flavour=${1:?usage: $0 cpu|cuda}
: "${OWNER:?OWNER (the registry owner, lower case) is required}"
: "${TAG:?TAG (X.Y.Z or sha-<short>) is required}"
REGISTRY=${REGISTRY:-ghcr.io}

MOVING_TAG=${MOVING_TAG:-}
case "$flavour" in
  cpu) modules=registry-svc,tokenizer-svc,trainer-svc,scorer-svc,console-svc; suffix="" ;;
  cuda) modules=trainer-svc,scorer-svc; suffix=-cuda ;;
  *) echo "unknown flavour '$flavour' (cpu|cuda)" >&2; exit 2 ;;
esac
tag=$TAG$suffix
moving=${MOVING_TAG:+$MOVING_TAG$suffix}
for t in "$tag" $moving; do
  if [[ ! "$t" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then echo "not a valid image tag: '$t'" >&2; exit 2; fi
done
if [[ "$OWNER" != "${OWNER,,}" ]]; then echo "OWNER must be lower case: $OWNER" >&2; exit 2; fi

args=(-B -DskipTests -Dimages package -pl "$modules" -am
  -Dquarkus.container-image.push=true
  -Dquarkus.container-image.registry="$REGISTRY"
  -Dquarkus.container-image.group="$OWNER"
  -Dquarkus.container-image.tag="$tag")
# The same image, also under the moving tag (Jib pushes it once, tagged twice).
[[ -n "$moving" ]] && args+=(-Dquarkus.container-image.additional-tags="$moving")
if [[ -n "${REGISTRY_USER:-}" && -n "${REGISTRY_PASSWORD:-}" ]]; then
  args+=(-Dquarkus.container-image.username="$REGISTRY_USER" -Dquarkus.container-image.password="$REGISTRY_PASSWORD")
fi
# OCI labels: GHCR links a package to its repository by image.source.
[[ -n "${SOURCE:-}" ]] && args+=("-Dquarkus.container-image.labels.\"org.opencontainers.image.source\"=$SOURCE")
[[ -n "${VERSION:-}" ]] && args+=("-Dquarkus.container-image.labels.\"org.opencontainers.image.version\"=$VERSION")
[[ -n "${SHA:-}" ]] && args+=("-Dquarkus.container-image.labels.\"org.opencontainers.image.revision\"=$SHA")
if [[ "$flavour" == cuda ]]; then
  : "${CUDA_BASE:?CUDA_BASE (the image of k8s/images/cuda-base.Dockerfile) is required for cuda}"
  args+=(-Dquarkus.jib.base-jvm-image="$CUDA_BASE")
fi

ATTACH_SBOM=${ATTACH_SBOM:-false}
if [[ "$ATTACH_SBOM" == true ]] && ! command -v cosign > /dev/null; then
  echo "ATTACH_SBOM=true needs cosign on the PATH" >&2; exit 2
fi

echo "building $flavour images of $modules as $REGISTRY/$OWNER/<svc>:$tag${moving:+ (and :$moving)}"
# Stale digests must not be attested: each comes from this build's push.
for svc in ${modules//,/ }; do rm -f "$svc/target/jib-image.digest"; done
mvn "${args[@]}"

[[ "$ATTACH_SBOM" == true ]] || exit 0
for svc in ${modules//,/ }; do
  digest=$(cat "$svc/target/jib-image.digest")
  sbom=$svc/target/$svc-cyclonedx.json
  if [[ ! "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then echo "$svc: no pushed digest in $svc/target/jib-image.digest" >&2; exit 1; fi
  if [[ ! -s "$sbom" ]]; then echo "$svc: no SBOM at $sbom" >&2; exit 1; fi
  echo "attaching $sbom to $REGISTRY/$OWNER/$svc@$digest"
  cosign attest --yes --type cyclonedx --predicate "$sbom" "$REGISTRY/$OWNER/$svc@$digest"
done
