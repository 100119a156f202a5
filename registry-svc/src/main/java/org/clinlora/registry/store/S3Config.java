package org.clinlora.registry.store;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** clinlora.s3.* in application.properties (env: CLINLORA_S3_*). */
@ConfigMapping(prefix = "clinlora.s3")
public interface S3Config {
    @WithDefault("http://127.0.0.1:9000")
    String endpoint();

    @WithDefault("minioadmin")
    String accessKey();

    @WithDefault("minioadmin")
    String secretKey();

    @WithDefault("us-east-1")
    String region();

    @WithDefault("clinlora")
    String bucket();
}
