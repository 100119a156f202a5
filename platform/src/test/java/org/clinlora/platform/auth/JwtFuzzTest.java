package org.clinlora.platform.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.auth.principal.JWTParser;
import io.smallrye.jwt.auth.principal.ParseException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.JoseException;
import org.junit.jupiter.api.BeforeAll;

/**
 * Hostile bearer tokens, verified as every service verifies them (SmallRye JWT with the platform's settings: RS256 from
 * our issuer for our audience, 1 s of clock skew, at most 30 days old), then read as the services read a verified token
 * (subject, name, groups, issued-at). Half the inputs are arbitrary text; the other half are fuzzed claims signed with
 * the issuer's own key, as a misconfigured identity provider would send them, so the claims checks are reached. The
 * only refusal is a ParseException (the services' 401); anything else would be a 500.
 */
class JwtFuzzTest {
    private static KeyPair keys;
    private static JWTParser parser;
    private static Jwts issuer;

    @BeforeAll
    static void verifier() throws NoSuchAlgorithmException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
        JWTAuthContextInfo info = new JWTAuthContextInfo(keys.getPublic(), Jwts.DEV_ISSUER);
        info.setExpectedAudience(Set.of(Jwts.AUDIENCE));
        info.setSignatureAlgorithm(Set.of(SignatureAlgorithm.RS256));
        info.setClockSkew(1);
        info.setTokenAge(2_592_000L);
        parser = new DefaultJWTParser(info);
        issuer = new Jwts(keys.getPrivate(), Jwts.DEV_ISSUER);
    }

    @FuzzTest(maxDuration = "5s")
    void bearerToken(FuzzedDataProvider data) throws JoseException {
        String token;
        if (data.consumeBoolean()) {
            token = data.consumeRemainingAsString();
        } else if (data.consumeBoolean()) {
            token = signed(data.consumeRemainingAsString());
        } else {
            // A valid token with fuzzed subject and groups.
            String subject = data.consumeString(64);
            token = issuer.mint(subject, List.of(data.consumeRemainingAsString()), Duration.ofMinutes(5));
        }
        JsonWebToken jwt;
        try {
            jwt = parser.parse(token);
        } catch (ParseException refused) {
            return; // 401
        }
        jwt.getSubject();
        jwt.getName();
        jwt.getGroups();
        if (jwt.getIssuedAtTime() > Instant.now().getEpochSecond() + 1) return; // IssuedAtCheck: 401
        jwt.getExpirationTime();
    }

    private static String signed(String claims) throws JoseException {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        jws.setHeader("typ", "JWT");
        jws.setKey(keys.getPrivate());
        return jws.getCompactSerialization();
    }
}
