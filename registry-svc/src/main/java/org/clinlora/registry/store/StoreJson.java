package org.clinlora.registry.store;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.jboss.logging.Logger;

/** JSON of the registry's own small objects in the store (claims, alias entries, tombstones), and quiet clean-up. */
public final class StoreJson {
    private static final Logger LOG = Logger.getLogger(StoreJson.class);
    private static final ObjectMapper JSON =
            new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private StoreJson() {}

    public static <T> T read(byte[] b, Class<T> type) {
        try {
            return JSON.readValue(b, type);
        } catch (IOException e) {
            throw new IllegalStateException(type.getSimpleName() + " object in the store is not valid JSON", e);
        }
    }

    public static byte[] bytes(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public interface Action {
        void run() throws Exception;
    }

    /** A clean-up step whose failure leaves garbage for the janitor but must not hide the original outcome. */
    public static void quietly(Action a) {
        try {
            a.run();
        } catch (Exception e) {
            LOG.warnf("cleanup step failed (left for the janitor): %s", e.getMessage());
        }
    }
}
