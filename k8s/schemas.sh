#!/usr/bin/env bash
# Regenerates k8s/src/test/resources/schemas/manifest-schemas.json, the published schemas that ManifestSchemaTest
# validates every object of every render (k8s/rendered/*.yaml) against. The test itself runs offline from that file;
# only this script needs the registries (Maven Central and npm), and only when a source below changes version.
#
# Sources (each checked against the checksum recorded here; a mismatch stops the script):
#  - Kubernetes 1.34 API types and the Prometheus operator's monitoring.coreos.com/v1 types: openshift-generated.json,
#    the Swagger document (Kubernetes' openapi-gen output for k8s.io/api v0.34 and prometheus-operator's API) that
#    Maven artefact io.fabric8:kubernetes-model-validator ships for its own validator.
#  - Strimzi (Kafka, KafkaNodePool, KafkaTopic, KafkaUser): the CRDs Strimzi's CrdGenerator (io.strimzi:crd-generator)
#    writes from the model classes in io.strimzi:api -- the same generator and classes Strimzi builds its released
#    CRDs with.
#  - KEDA (ScaledObject, ScaledJob, TriggerAuthentication, ClusterTriggerAuthentication; KEDA 2.10.1's CRDs) and
#    Knative Serving (Service; Knative 1.10.1's CRDs): the npm packages @kubernetes-models/keda@0.3.2 and
#    @kubernetes-models/knative@2.3.1, the newest of those packages that ship the CRD schema as data (later versions
#    ship only pre-compiled validator code).
# k8s/schemas.mjs (node) extracts the kinds needed and applies the documented mechanical transformations (strictness:
# additionalProperties false on every object schema that lists properties). Needs: mvn, java, npm, node, openssl.
set -euo pipefail
cd "$(dirname "$0")"

FABRIC8_VALIDATOR=io.fabric8:kubernetes-model-validator:7.5.2
FABRIC8_VALIDATOR_SHA256=e4985c73f379f9e06ccf071e3e6e95c9d4d3c77cf2f46ef8c16e47af12ac2e75
STRIMZI_VERSION=0.45.0
STRIMZI_API_SHA256=7112a02ebf29d38b2eb2ad8da90353d2a3922aea2fe2bddc2abe4e5956fdfe9a
STRIMZI_CRD_GENERATOR_SHA256=f03aab1b83d29bbd340ce484a4bb651faac7685c685865a30351a636da6008ea
KEDA_NPM=@kubernetes-models/keda@0.3.2
KEDA_INTEGRITY=sha512-vEDh4UY1+ZmsE9iZN93zHmLGEf44lXd2Q59nLBgGb04SoDbP7p2QwY7CZ1WZCw8KayQUP/dhk5T8+cXcrJuQVg==
KNATIVE_NPM=@kubernetes-models/knative@2.3.1
KNATIVE_INTEGRITY=sha512-SmMAUjp3PgBcIKShP0vUrGvcKQmUjLMcv4jGXw1XZNucDJsU5UMvIWi2Bum+QKhgd4DWQR62mte8CNC8nFi7nA==
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
OUT=src/test/resources/schemas/manifest-schemas.json

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check_sha256() { # file expected
  local actual
  actual=$(sha256sum "$1" | cut -d' ' -f1)
  [[ "$actual" == "$2" ]] || { echo "checksum of $(basename "$1") is $actual, expected $2" >&2; exit 1; }
}

# Maven artefacts, resolved by a throw-away POM (the Strimzi generator runs on its own dependency tree).
cat > "$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>schema-sources</artifactId><version>0</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$STRIMZI_VERSION</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$STRIMZI_VERSION</version></dependency>
  </dependencies>
</project>
EOF
mvn -B -q -Dstyle.color=never -f "$work/pom.xml" "$DEPENDENCY_PLUGIN:copy" -Dartifact="$FABRIC8_VALIDATOR" -DoutputDirectory="$work/jars" 2>&1 | sed -e "s/\x1b\[[0-9;]*m//g"
mvn -B -q -Dstyle.color=never -f "$work/pom.xml" "$DEPENDENCY_PLUGIN:build-classpath" -Dmdep.outputFile="$work/strimzi.classpath" 2>&1 | sed -e "s/\x1b\[[0-9;]*m//g"
validator_jar=$(ls "$work"/jars/kubernetes-model-validator-*.jar)
check_sha256 "$validator_jar" "$FABRIC8_VALIDATOR_SHA256"
classpath=$(cat "$work/strimzi.classpath")
strimzi_api_jar=$(tr ':' '\n' <<<"$classpath" | grep "/api-$STRIMZI_VERSION.jar$")
strimzi_generator_jar=$(tr ':' '\n' <<<"$classpath" | grep "/crd-generator-$STRIMZI_VERSION.jar$")
check_sha256 "$strimzi_api_jar" "$STRIMZI_API_SHA256"
check_sha256 "$strimzi_generator_jar" "$STRIMZI_CRD_GENERATOR_SHA256"
unzip -q -o "$validator_jar" openshift-generated.json -d "$work"

# Strimzi's CRDs, with the options Strimzi's own build passes (api/pom.xml): KafkaTopic and KafkaUser also serve the
# older versions, of which only v1beta2 is taken.
mkdir -p "$work/strimzi"
strimzi_crds() { # api-versions class=file...
  local versions=$1
  shift
  java -cp "$classpath" io.strimzi.crdgenerator.CrdGenerator --label app:strimzi \
    --label strimzi.io/crd-install:true --target-kube 1.16+ --crd-api-version v1 --api-versions "$versions" \
    --storage-version v1beta2 "$@" 2> >(grep -v '^SLF4J' >&2)
}
strimzi_crds v1beta2 \
  "io.strimzi.api.kafka.model.kafka.Kafka=$work/strimzi/kafka.json" \
  "io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$work/strimzi/kafkanodepool.json"
strimzi_crds v1alpha1,v1beta1,v1beta2 \
  "io.strimzi.api.kafka.model.topic.KafkaTopic=$work/strimzi/kafkatopic.json" \
  "io.strimzi.api.kafka.model.user.KafkaUser=$work/strimzi/kafkauser.json"

# npm tarballs, checked against the registry's recorded integrity.
npm_unpack() { # dir spec integrity
  local dir=$1 spec=$2 integrity=$3 tarball actual
  mkdir -p "$work/npm/$dir"
  tarball=$(cd "$work/npm" && npm pack --silent "$spec")
  actual="sha512-$(openssl dgst -sha512 -binary "$work/npm/$tarball" | base64 -w0)"
  [[ "$actual" == "$integrity" ]] || { echo "integrity of $spec is $actual, expected $integrity" >&2; exit 1; }
  tar -xzf "$work/npm/$tarball" -C "$work/npm/$dir"
}
npm_unpack keda "$KEDA_NPM" "$KEDA_INTEGRITY"
npm_unpack knative "$KNATIVE_NPM" "$KNATIVE_INTEGRITY"

cat > "$work/sources.json" <<EOF
[
 {"id": "kubernetes", "what": "Kubernetes 1.34 API (k8s.io/api v0.34)",
  "package": "maven:$FABRIC8_VALIDATOR", "file": "openshift-generated.json", "sha256": "$FABRIC8_VALIDATOR_SHA256"},
 {"id": "prometheus-operator", "what": "Prometheus operator monitoring.coreos.com/v1",
  "package": "maven:$FABRIC8_VALIDATOR", "file": "openshift-generated.json", "sha256": "$FABRIC8_VALIDATOR_SHA256"},
 {"id": "strimzi", "what": "Strimzi $STRIMZI_VERSION CRDs (kafka.strimzi.io/v1beta2), written by Strimzi's CrdGenerator",
  "package": "maven:io.strimzi:api:$STRIMZI_VERSION + maven:io.strimzi:crd-generator:$STRIMZI_VERSION",
  "sha256": "api $STRIMZI_API_SHA256, crd-generator $STRIMZI_CRD_GENERATOR_SHA256"},
 {"id": "keda", "what": "KEDA 2.10.1 CRDs (keda.sh/v1alpha1)", "package": "npm:$KEDA_NPM",
  "integrity": "$KEDA_INTEGRITY"},
 {"id": "knative", "what": "Knative Serving 1.10.1 CRD (serving.knative.dev/v1 Service)", "package": "npm:$KNATIVE_NPM",
  "integrity": "$KNATIVE_INTEGRITY"}
]
EOF

node schemas.mjs "$work" "$OUT" "$work/sources.json"
