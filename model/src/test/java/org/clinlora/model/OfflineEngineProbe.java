package org.clinlora.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/** Child-process body of {@link OfflineEngineTest}: load the engine and compute something. */
public final class OfflineEngineProbe {
    private OfflineEngineProbe() {}

    public static void main(String[] args) {
        Engine engine = Engine.getInstance();
        try (NDManager m = NDManager.newBaseManager()) {
            float sum = m.create(new float[] {1, 2, 3}).sum().getFloat();
            System.out.println("engine=" + engine.getEngineName() + " sum=" + sum);
        }
    }
}
