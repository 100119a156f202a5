/**
 * The model library as a module: its own packages exported to the platform, the services and the CLI (which still put
 * it on the class path), and a named module so that the two factory circles — {@code BaseModel} and
 * {@code BaseModelConfig} over LLaMA and BERT — can be {@code sealed} across packages.
 */
module org.clinlora.model {
    requires transitive ai.djl.api;
    requires ai.djl.pytorch_engine;
    requires ai.djl.tokenizers;
    requires jdk.unsupported; // io/Buffers unmaps memory-mapped checkpoints (sun.misc.Unsafe.invokeCleaner)
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.csv; // data/CsvReader, CsvWriter: internal, not in the API

    exports org.clinlora.model.base;
    exports org.clinlora.model.bert;
    exports org.clinlora.model.data;
    exports org.clinlora.model.io;
    exports org.clinlora.model.llama;
    exports org.clinlora.model.lora;
    exports org.clinlora.model.metrics;
    exports org.clinlora.model.task;
    exports org.clinlora.model.text;
    exports org.clinlora.model.train;

    // Jackson reads and writes the library's records (configs, manifests, cards) by reflection.
    opens org.clinlora.model.base to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.bert to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.data to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.io to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.llama to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.lora to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.metrics to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.task to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.text to
            com.fasterxml.jackson.databind;
    opens org.clinlora.model.train to
            com.fasterxml.jackson.databind;
}
