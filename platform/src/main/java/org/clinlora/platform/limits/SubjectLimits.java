package org.clinlora.platform.limits;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.clinlora.platform.auth.Subjects;
import org.clinlora.platform.failure.Busy;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Request and note-byte rates per caller (the bearer token's subject), so one pipeline flooding a service cannot starve
 * the others: each subject has two token buckets, and a request over either is answered 429 (reason
 * {@code rate_limited}) with the seconds until it would pass in {@code Retry-After}. A refused request takes nothing
 * from either bucket. Settings: {@code clinlora.limits.*} (docs/SECURITY.md, "Limits per client").
 */
@ApplicationScoped
public class SubjectLimits {
    /**
     * Subjects past which the idle ones (buckets full again) are forgotten; busy ones are kept whatever their number.
     */
    static final int MAX_SUBJECTS = 10_000;

    private final boolean enabled;
    private final double requestsPerSecond, requestBurst, noteBytesPerSecond, noteByteBurst;
    private final LongSupplier clock;
    private final Map<String, Buckets> bySubject = new ConcurrentHashMap<>();

    private record Buckets(TokenBucket requests, TokenBucket noteBytes) {}

    @Inject
    JsonWebToken jwt;

    @Inject
    public SubjectLimits(
            @ConfigProperty(name = "clinlora.limits.enabled", defaultValue = "true") boolean enabled,
            @ConfigProperty(name = "clinlora.limits.requests-per-second", defaultValue = "50") double requestsPerSecond,
            @ConfigProperty(name = "clinlora.limits.request-burst", defaultValue = "100") double requestBurst,
            @ConfigProperty(name = "clinlora.limits.note-bytes-per-second", defaultValue = "4194304")
                    double noteBytesPerSecond,
            @ConfigProperty(name = "clinlora.limits.note-byte-burst", defaultValue = "16777216") double noteByteBurst) {
        this(enabled, requestsPerSecond, requestBurst, noteBytesPerSecond, noteByteBurst, System::nanoTime);
    }

    SubjectLimits(
            boolean enabled,
            double requestsPerSecond,
            double requestBurst,
            double noteBytesPerSecond,
            double noteByteBurst,
            LongSupplier clock) {
        this.enabled = enabled;
        this.requestsPerSecond = requestsPerSecond;
        this.requestBurst = requestBurst;
        this.noteBytesPerSecond = noteBytesPerSecond;
        this.noteByteBurst = noteByteBurst;
        this.clock = clock;
        if (enabled) newBuckets(0); // settings that cannot work are refused at start, not on the first request
    }

    /** Limits that admit everything (unit tests that build a resource by hand). */
    public static SubjectLimits off() {
        return new SubjectLimits(false, 1, 1, 1, 1, System::nanoTime);
    }

    /** This request, from its verified token's subject, carrying {@code noteBytes} of note text (UTF-8). */
    public void admit(long noteBytes) {
        if (enabled) admit(Subjects.of(jwt), noteBytes);
    }

    /**
     * Bytes that arrived without a declared length (a chunked upload), counted once read: they are owed, and the
     * subject's next requests wait for them.
     */
    public void charge(long noteBytes) {
        if (!enabled) return;
        Buckets b = bucketsOf(Subjects.of(jwt), clock.getAsLong());
        synchronized (b) {
            b.noteBytes().take(noteBytes);
        }
    }

    /**
     * One request carrying {@code noteBytes} of note text (UTF-8) from {@code subject}; a {@link Busy} if over. Limits
     * are on: {@link #admit(long)} asked.
     */
    void admit(String subject, long noteBytes) {
        long now = clock.getAsLong();
        Buckets b = bucketsOf(subject, now);
        long wait;
        synchronized (b) {
            wait = Math.max(b.requests().nanosUntil(1, now), b.noteBytes().nanosUntil(noteBytes, now));
            if (wait == 0) {
                b.requests().take(1);
                b.noteBytes().take(noteBytes);
                return;
            }
        }
        long seconds = Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
        throw new Busy(
                "rate_limited",
                "subject '" + subject + "' is over its limit of " + fmt(requestsPerSecond) + " requests/s (burst "
                        + fmt(requestBurst) + ") or " + fmt(noteBytesPerSecond / 1e6) + " MB of notes/s (burst "
                        + fmt(noteByteBurst / 1e6) + " MB); retry in " + seconds + " s",
                seconds);
    }

    /**
     * The subject's buckets, made on its first request. Past {@link #MAX_SUBJECTS}, subjects whose buckets are full
     * again are forgotten first (outside the map's own locking): forgetting one of them changes nothing it is owed.
     */
    private Buckets bucketsOf(String subject, long now) {
        Buckets b = bySubject.get(subject);
        if (b != null) return b;
        if (bySubject.size() >= MAX_SUBJECTS) bySubject.values().removeIf(old -> idle(old, now));
        return bySubject.computeIfAbsent(subject, s -> newBuckets(now));
    }

    int subjects() {
        return bySubject.size();
    }

    private Buckets newBuckets(long now) {
        return new Buckets(
                new TokenBucket(requestsPerSecond, requestBurst, now),
                new TokenBucket(noteBytesPerSecond, noteByteBurst, now));
    }

    private static boolean idle(Buckets b, long now) {
        synchronized (b) {
            return b.requests().full(now) && b.noteBytes().full(now);
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format("%.1f", v);
    }

    /** The UTF-8 bytes of the notes in one request: what the note-byte rate counts. */
    public static long noteBytes(Iterable<String> notes) {
        long n = 0;
        if (notes == null) return 0;
        for (String s : notes) if (s != null) n += utf8Length(s);
        return n;
    }

    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }
}
