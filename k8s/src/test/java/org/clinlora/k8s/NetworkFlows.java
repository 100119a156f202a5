package org.clinlora.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the NetworkPolicies of one namespace the way a CNI enforces them: a connection from one pod to another on a
 * port is allowed when the source may send it (no policy isolates the source for egress, or one of the policies that do
 * allows it) and the destination may receive it (likewise for ingress). Only pods in the policies' own namespace are
 * isolated by them; pods elsewhere are subject to their own namespace's policies, not modelled here.
 */
final class NetworkFlows {
    /** A pod: its namespace and labels ({@code kubernetes.io/metadata.name} is how policies name namespaces). */
    record Pod(String name, String namespace, Map<String, String> labels) {}

    private final String namespace;
    private final List<JsonNode> policies;

    NetworkFlows(String namespace, List<JsonNode> policies) {
        this.namespace = namespace;
        this.policies = policies;
    }

    boolean allowed(Pod from, Pod to, int port) {
        return direction(from, to, port, "Egress", "egress", "to")
                && direction(to, from, port, "Ingress", "ingress", "from");
    }

    /** Whether {@code subject}'s policies of this direction let it talk with {@code peer} on {@code port}. */
    private boolean direction(Pod subject, Pod peer, int port, String type, String rulesField, String peersField) {
        if (!subject.namespace().equals(namespace)) return true;
        boolean isolated = false;
        for (JsonNode p : policies) {
            if (!types(p).contains(type) || !matches(p.at("/spec/podSelector"), subject.labels())) continue;
            isolated = true;
            for (JsonNode rule : p.at("/spec").path(rulesField)) {
                if (portMatches(rule.path("ports"), port) && peerMatches(rule.path(peersField), peer)) return true;
            }
        }
        return !isolated;
    }

    private static List<String> types(JsonNode policy) {
        List<String> out = new ArrayList<>();
        JsonNode t = policy.at("/spec/policyTypes");
        if (t.isMissingNode()) {
            out.add("Ingress");
            if (policy.at("/spec").has("egress")) out.add("Egress");
        } else t.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static boolean portMatches(JsonNode ports, int port) {
        if (ports.isMissingNode() || ports.isEmpty()) return true;
        for (JsonNode p : ports) if (!p.has("port") || p.path("port").asInt(-1) == port) return true;
        return false;
    }

    private boolean peerMatches(JsonNode peers, Pod peer) {
        if (peers.isMissingNode() || peers.isEmpty()) return true;
        for (JsonNode p : peers) {
            if (p.has("ipBlock")) continue;
            boolean nsOk = p.has("namespaceSelector")
                    ? matches(p.path("namespaceSelector"), Map.of("kubernetes.io/metadata.name", peer.namespace()))
                    : peer.namespace().equals(namespace);
            boolean podOk = !p.has("podSelector") || matches(p.path("podSelector"), peer.labels());
            if (nsOk && podOk) return true;
        }
        return false;
    }

    /** A label selector ({@code matchLabels}, {@code matchExpressions}); the empty selector matches everything. */
    static boolean matches(JsonNode selector, Map<String, String> labels) {
        var it = selector.path("matchLabels").fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!e.getValue().asText().equals(labels.get(e.getKey()))) return false;
        }
        for (JsonNode x : selector.path("matchExpressions")) {
            String value = labels.get(x.path("key").asText());
            List<String> values = new ArrayList<>();
            x.path("values").forEach(v -> values.add(v.asText()));
            boolean ok =
                    switch (x.path("operator").asText()) {
                        case "In" -> value != null && values.contains(value);
                        case "NotIn" -> value == null || !values.contains(value);
                        case "Exists" -> value != null;
                        case "DoesNotExist" -> value == null;
                        default -> false;
                    };
            if (!ok) return false;
        }
        return true;
    }
}
