package org.clinlora.model.fuzz;

/**
 * What a parser of outside data may answer instead of a result, for the fuzz tests (*FuzzTest): a refusal that says
 * why. An IllegalArgumentException the project throws itself qualifies; a JDK one that merely is a subclass of it
 * (NumberFormatException, PatternSyntaxException, …) or one without a message is a finding, like any other exception.
 */
public final class Refusals {
    private Refusals() {}

    /** Returns quietly for a clear refusal; otherwise fails the fuzz test with {@code e} as the cause. */
    public static void requireClear(RuntimeException e) {
        boolean ours = e.getClass() == IllegalArgumentException.class
                || e.getClass().getName().startsWith("org.clinlora.");
        if (!ours || e.getMessage() == null || e.getMessage().isBlank()) {
            throw new AssertionError("not a clear refusal: " + e.getClass().getName(), e);
        }
    }
}
