package org.clinlora.platform.auth;

import java.util.List;
import java.util.Map;

/**
 * The roles a bearer token's {@code groups} claim may carry, and what each service's own token needs when it calls
 * another service. Reading the registry needs a valid token and no role; everything else needs its role.
 */
public final class Roles {
    /** POST /v1/score, /v1/evaluate (scorer-svc). */
    public static final String SCORER_CLIENT = "scorer-client";
    /** /v1/tokenize, /v1/datasets (tokenizer-svc). */
    public static final String DATA_ENGINEER = "data-engineer";
    /** /v1/jobs (trainer-svc). */
    public static final String TRAINER = "trainer";
    /** Publishing adapter versions (registry-svc). */
    public static final String PUBLISHER = "publisher";
    /** Moving aliases and deleting versions (registry-svc). */
    public static final String REGISTRY_ADMIN = "registry-admin";

    public static final List<String> ALL = List.of(SCORER_CLIENT, DATA_ENGINEER, TRAINER, PUBLISHER, REGISTRY_ADMIN);

    /**
     * Least privilege for service-to-service calls: trainer-svc publishes its adapters and withdraws a fine-tuned
     * parent whose job then failed (a delete); scorer-svc only reads the registry; the others call no service with
     * their own token.
     */
    public static final Map<String, List<String>> SERVICE_ROLES = Map.of(
            "trainer-svc", List.of(PUBLISHER, REGISTRY_ADMIN),
            "scorer-svc", List.of(),
            "tokenizer-svc", List.of(),
            "registry-svc", List.of(),
            "console-svc", List.of()); // the console acts with the signed-in user's token, never its own

    private Roles() {}
}
