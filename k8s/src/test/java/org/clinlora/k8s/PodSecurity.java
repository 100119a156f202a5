package org.clinlora.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The {@code restricted} Pod Security Standard (kubernetes.io/docs/concepts/security/pod-security-standards, the
 * baseline controls included), checked on a pod spec the way the API server's PodSecurity admission checks a pod: what
 * the namespace's {@code pod-security.kubernetes.io/enforce: restricted} label would refuse.
 */
final class PodSecurity {
    static final Set<String> VOLUME_TYPES = Set.of(
            "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret");
    static final Set<String> SAFE_SYSCTLS = Set.of(
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports",
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes");
    static final Set<String> SECCOMP_OK = Set.of("RuntimeDefault", "Localhost");

    private PodSecurity() {}

    /** What in this pod spec the restricted profile refuses; empty when it passes. */
    static List<String> restrictedViolations(JsonNode pod) {
        List<String> out = new ArrayList<>();
        for (String f : List.of("hostNetwork", "hostPID", "hostIPC"))
            if (pod.path(f).asBoolean(false)) out.add(f + ": true");
        JsonNode psc = pod.path("securityContext");
        for (JsonNode s : psc.path("sysctls"))
            if (!SAFE_SYSCTLS.contains(s.path("name").asText()))
                out.add("unsafe sysctl " + s.path("name").asText());
        if (psc.path("runAsUser").asLong(-1) == 0) out.add("pod runAsUser 0");
        if (psc.at("/seLinuxOptions/type").isTextual()) out.add("pod seLinuxOptions.type");
        String podSeccomp = psc.at("/seccompProfile/type").asText("");
        if (!podSeccomp.isEmpty() && !SECCOMP_OK.contains(podSeccomp)) out.add("pod seccomp " + podSeccomp);
        boolean podNonRoot = psc.path("runAsNonRoot").asBoolean(false);
        for (JsonNode v : pod.path("volumes")) {
            List<String> types = new ArrayList<>();
            v.fieldNames().forEachRemaining(types::add);
            types.remove("name");
            if (types.size() != 1 || !VOLUME_TYPES.contains(types.get(0)))
                out.add("volume " + v.path("name").asText() + " of type " + types);
        }
        for (String list : List.of("containers", "initContainers", "ephemeralContainers"))
            for (JsonNode c : pod.path(list)) out.addAll(container(c, podSeccomp, podNonRoot));
        return out;
    }

    static List<String> container(JsonNode c, String podSeccomp, boolean podNonRoot) {
        List<String> out = new ArrayList<>();
        String name = "container " + c.path("name").asText() + ": ";
        JsonNode sc = c.path("securityContext");
        if (sc.path("privileged").asBoolean(false)) out.add(name + "privileged");
        if (!sc.path("allowPrivilegeEscalation").isBoolean()
                || sc.path("allowPrivilegeEscalation").asBoolean())
            out.add(name + "allowPrivilegeEscalation must be false");
        boolean dropsAll = false;
        for (JsonNode d : sc.at("/capabilities/drop")) dropsAll |= d.asText().equals("ALL");
        if (!dropsAll) out.add(name + "capabilities must drop ALL");
        for (JsonNode a : sc.at("/capabilities/add"))
            if (!a.asText().equals("NET_BIND_SERVICE")) out.add(name + "adds capability " + a.asText());
        for (JsonNode p : c.path("ports"))
            if (p.path("hostPort").asInt(0) != 0)
                out.add(name + "hostPort " + p.path("hostPort").asInt());
        if (sc.path("runAsUser").asLong(-1) == 0) out.add(name + "runAsUser 0");
        if (sc.has("runAsNonRoot") ? !sc.path("runAsNonRoot").asBoolean() : !podNonRoot)
            out.add(name + "runAsNonRoot must be true (pod or container)");
        String seccomp = sc.at("/seccompProfile/type").asText(podSeccomp);
        if (!SECCOMP_OK.contains(seccomp)) out.add(name + "seccomp profile must be RuntimeDefault or Localhost");
        if (sc.has("procMount") && !sc.path("procMount").asText().equals("Default"))
            out.add(name + "procMount " + sc.path("procMount").asText());
        if (sc.at("/seLinuxOptions/type").isTextual()) out.add(name + "seLinuxOptions.type");
        return out;
    }
}
