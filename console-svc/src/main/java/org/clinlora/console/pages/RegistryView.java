package org.clinlora.console.pages;

import static org.clinlora.console.backend.ServiceCalls.Service.REGISTRY;
import static org.clinlora.console.backend.ServiceCalls.encode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.clinlora.console.backend.ServiceCalls;

/** The whole registry as one page needs it: every adapter's versions (cards) and aliases, fetched in parallel. */
record RegistryView(Map<String, JsonNode> versions, Map<String, JsonNode> aliases) {

    static RegistryView read(ServiceCalls calls, String token, boolean withAliases) {
        List<String> names = new ArrayList<>();
        for (JsonNode n : calls.require(calls.get(REGISTRY, "/v1/adapters?limit=1000", token))
                .path("names")) names.add(n.asText());
        List<ServiceCalls.Reply> v = calls.getAll(
                REGISTRY,
                names.stream()
                        .map(n -> "/v1/adapters/" + encode(n) + "/versions")
                        .toList(),
                token);
        List<ServiceCalls.Reply> a = withAliases
                ? calls.getAll(
                        REGISTRY,
                        names.stream()
                                .map(n -> "/v1/adapters/" + encode(n) + "/aliases")
                                .toList(),
                        token)
                : null;
        Map<String, JsonNode> versions = new LinkedHashMap<>(), aliases = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            // An adapter deleted between the listing and its versions (404) is simply not shown.
            if (v.get(i).status() == 404) continue;
            versions.put(names.get(i), calls.require(v.get(i)));
            if (a != null)
                aliases.put(
                        names.get(i), a.get(i).status() == 404 ? MissingNode.getInstance() : calls.require(a.get(i)));
        }
        return new RegistryView(versions, aliases);
    }

    List<JsonNode> cards() {
        List<JsonNode> out = new ArrayList<>();
        versions.values().forEach(vs -> vs.forEach(out::add));
        return out;
    }
}
