package org.clinlora.platform.store;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A store that cannot be reached fails every call with a StoreException — the one failure the retries, the 503 mapping
 * and readiness know — and never with the MinIO client's own IllegalStateException (an internal error, 500).
 */
class ObjectStoreUnreachableTest {
    @Test
    void everyCallOnAnUnreachableStoreIsAStoreException() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        ObjectStore store = new ObjectStore(
                new S3Settings("http://127.0.0.1:" + port, "minioadmin", "minioadmin", "us-east-1", "clinlora"));
        Executable[] calls = {
            () -> store.getBytes("a"),
            () -> store.size("a"),
            () -> store.open("a").close(),
            () -> store.list("p/"),
            () -> store.listPrefixes("p/"),
            () -> store.put("a", new byte[1], Map.of()),
            () -> store.putIfAbsent("a", new byte[1]),
            () -> store.delete("a"),
            store::bucketExists
        };
        for (Executable c : calls) assertThrows(ObjectStore.StoreException.class, c);
    }
}
