package org.clinlora.platform.limits;

/**
 * A token bucket that may go into debt: it holds up to {@code burst} tokens, refills at {@code perSecond}, and admits a
 * cost once it holds {@code min(cost, burst)}, so one request larger than the burst (a big upload) still goes through
 * when the bucket is full, and the requests after it wait until the debt is paid. Not thread-safe: its owner locks.
 */
final class TokenBucket {
    private final double perSecond;
    private final double burst;
    private double level;
    private long at;

    TokenBucket(double perSecond, double burst, long nowNanos) {
        if (perSecond <= 0 || burst < 1) throw new IllegalArgumentException("a rate > 0 and a burst >= 1 are needed");
        this.perSecond = perSecond;
        this.burst = burst;
        this.level = burst;
        this.at = nowNanos;
    }

    private void refill(long nowNanos) {
        if (nowNanos > at) {
            level = Math.min(burst, level + (nowNanos - at) / 1e9 * perSecond);
            at = nowNanos;
        }
    }

    /** Nanoseconds until {@code cost} would be admitted; 0 when it would be now. Takes nothing. */
    long nanosUntil(double cost, long nowNanos) {
        refill(nowNanos);
        double need = Math.min(cost, burst) - level;
        return need <= 0 ? 0 : (long) Math.ceil(need / perSecond * 1e9);
    }

    void take(double cost) {
        level -= cost;
    }

    /** Full again: nothing owed, nothing taken since it last refilled to the top. */
    boolean full(long nowNanos) {
        refill(nowNanos);
        return level >= burst;
    }
}
