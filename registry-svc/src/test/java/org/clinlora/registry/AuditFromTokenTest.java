package org.clinlora.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.clinlora.model.llama.LlamaConfig;
import org.clinlora.model.llama.TinyLlama;
import org.clinlora.model.train.PaperDefaults;
import org.clinlora.platform.auth.Roles;
import org.clinlora.platform.store.ModelStore;
import org.clinlora.platform.store.ObjectStore;
import org.clinlora.platform.store.StoreLayout;
import org.clinlora.testing.LocalInfraResource;
import org.clinlora.testing.TestAdapters;
import org.clinlora.testing.TestAuth;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who published a version, moved an alias or deleted a version is the bearer token's subject, as an auditor needs it:
 * two people with their own tokens leave their own names, a body naming someone else is refused, and a service
 * publishing with its own token is recorded as that service.
 */
@QuarkusTest
@QuarkusTestResource(LocalInfraResource.class)
class AuditFromTokenTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static String base;
    static Path adapter;

    /** Two people allowed to publish, move aliases and delete, with subjects no other test uses. */
    static final String ALICE = "alice-" + UUID.randomUUID(), BOB = "bob-" + UUID.randomUUID();

    @Inject
    ObjectStore bucket;

    @Inject
    ModelStore models;

    @BeforeEach
    void setUp() throws Exception {
        if (base != null) return;
        Path work = Files.createTempDirectory("registry-audit-test");
        base = "tiny-audit-" + UUID.randomUUID().toString().substring(0, 8);
        LlamaConfig config =
                TinyLlama.write(work.resolve("base"), new TinyLlama.Spec(600, 32, 2, 4, 2, 96, 256, false, 3));
        models.upload(base, work.resolve("base"));
        adapter = TestAdapters.write(work.resolve("clinical"), PaperDefaults.clinicalLora(), config, 0, 1);
    }

    static String tokenOf(String subject) {
        return TestAuth.issuer().mint(subject, List.of(Roles.PUBLISHER, Roles.REGISTRY_ADMIN), Duration.ofMinutes(30));
    }

    static RequestSpecification as(String subject) {
        return given().header("Authorization", "Bearer " + tokenOf(subject));
    }

    static String card(String publishedBy) {
        return "{\"task\":\"clinical-lm\",\"baseModelId\":\"" + base + "\""
                + (publishedBy == null ? "" : ",\"publishedBy\":\"" + publishedBy + "\"") + "}";
    }

    static Response upload(String subject, String name, String card) throws IOException {
        RequestSpecification r = as(subject);
        try (var files = Files.list(adapter)) {
            for (Path f : files.toList()) r = r.multiPart(f.getFileName().toString(), f.toFile());
        }
        return r.multiPart("card", card, "application/json").post("/v1/adapters/" + name + "/versions");
    }

    /** The adapter's files staged in the bucket, as trainer-svc leaves them before publishing from the store. */
    String staged() throws IOException {
        String prefix = "jobs/" + UUID.randomUUID() + "/adapter/";
        try (var files = Files.list(adapter)) {
            for (Path f : files.toList()) bucket.put(prefix + f.getFileName(), f, Map.of());
        }
        return prefix;
    }

    Response fromStore(String token, String name, String card) throws IOException {
        return given().header("Authorization", "Bearer " + token)
                .contentType("application/json")
                .body("{\"sourcePrefix\":\"" + staged() + "\",\"card\":" + card + "}")
                .post("/v1/adapters/" + name + "/versions/from-store");
    }

    static Response move(String subject, String name, String body) {
        return as(subject)
                .contentType("application/json")
                .body(body)
                .put("/v1/adapters/" + name + "/aliases/production");
    }

    @Test
    void eachPublicationMoveAndDeletionRecordsTheSubjectOfItsToken() throws Exception {
        String name = "audit-" + UUID.randomUUID().toString().substring(0, 8);
        upload(ALICE, name, card(null)).then().statusCode(201).body("publishedBy", equalTo(ALICE));
        fromStore(tokenOf(BOB), name, card(null)).then().statusCode(201).body("publishedBy", equalTo(BOB));
        upload(BOB, name, card(BOB)).then().statusCode(201).body("publishedBy", equalTo(BOB));
        move(ALICE, name, "{\"version\":1}").then().statusCode(200);
        move(BOB, name, "{\"version\":2,\"expectedVersion\":1,\"movedBy\":\"" + BOB + "\"}")
                .then()
                .statusCode(200);

        // Read back with a third person's token: what is recorded does not depend on who reads it.
        assertEquals(
                List.of(ALICE, BOB, BOB),
                given().get("/v1/adapters/" + name + "/versions")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("publishedBy"));
        assertEquals(
                List.of(ALICE, BOB),
                given().get("/v1/adapters/" + name + "/aliases/production")
                        .then()
                        .statusCode(200)
                        .extract()
                        .jsonPath()
                        .getList("history.movedBy"));

        as(BOB).delete("/v1/adapters/" + name + "/versions/3").then().statusCode(204);
        JsonNode tombstone = JSON.readTree(bucket.getBytes(StoreLayout.version(name, 3) + StoreLayout.DELETED)
                .orElseThrow());
        assertEquals(BOB, tombstone.path("deletedBy").asText(), tombstone.toString());
    }

    @Test
    void aBodyNamingSomeoneElseIsRefusedWithTheFieldNamedAndChangesNothing() throws Exception {
        String name = "audit-" + UUID.randomUUID().toString().substring(0, 8);
        upload(ALICE, name, card(BOB))
                .then()
                .statusCode(400)
                .body(containsString("card.publishedBy"))
                .body(not(containsString(BOB)));
        fromStore(tokenOf(ALICE), name, card(BOB))
                .then()
                .statusCode(400)
                .body(containsString("card.publishedBy"))
                .body(not(containsString(BOB)));
        given().get("/v1/adapters/" + name + "/versions").then().statusCode(200).body("size()", equalTo(0));

        upload(ALICE, name, card(null)).then().statusCode(201);
        move(ALICE, name, "{\"version\":1,\"movedBy\":\"" + BOB + "\"}")
                .then()
                .statusCode(400)
                .body(containsString("movedBy"))
                .body(not(containsString(BOB)));
        given().get("/v1/adapters/" + name + "/aliases/production").then().statusCode(404);
    }

    @Test
    void aServicePublishingWithItsOwnTokenIsRecordedAsThatService() throws Exception {
        String name = "audit-" + UUID.randomUUID().toString().substring(0, 8);
        String trainerToken =
                Files.readString(TestAuth.serviceTokenFile("trainer-svc")).strip();
        fromStore(trainerToken, name, card(null)).then().statusCode(201).body("publishedBy", equalTo("trainer-svc"));
    }
}
