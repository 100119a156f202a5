package org.clinlora.platform.registry;

import java.util.List;

/** Rules about an adapter stack (root ancestor first, the adapter last) that every service applies the same way. */
public final class Lineage {
    private Lineage() {}

    /** An adapter of the stack was trained on another base model than the one it would be applied to. */
    public static final class WrongBaseModelException extends IllegalArgumentException {
        private final String adapter;
        private final String adapterBase;
        private final String expectedBase;

        public WrongBaseModelException(String adapter, String adapterBase, String expectedBase) {
            super("adapter " + adapter + " was trained on base model '" + adapterBase + "', not '" + expectedBase
                    + "'");
            this.adapter = adapter;
            this.adapterBase = adapterBase;
            this.expectedBase = expectedBase;
        }

        public String adapter() {
            return adapter;
        }

        public String adapterBase() {
            return adapterBase;
        }

        public String expectedBase() {
            return expectedBase;
        }
    }

    /** Every card of the stack names {@code baseModelId} as its base, else {@link WrongBaseModelException}. */
    public static void requireBase(List<AdapterCard> lineage, String baseModelId) {
        for (AdapterCard c : lineage) {
            String base = c.baseModel() == null ? null : c.baseModel().id();
            if (!baseModelId.equals(base)) throw new WrongBaseModelException(c.ref(), base, baseModelId);
        }
    }

    /** The base model the stack was trained on (its root's), or null for an empty stack. */
    public static String baseOf(List<AdapterCard> lineage) {
        return lineage.isEmpty() || lineage.get(0).baseModel() == null
                ? null
                : lineage.get(0).baseModel().id();
    }
}
