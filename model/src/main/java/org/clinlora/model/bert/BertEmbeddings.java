package org.clinlora.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;

/**
 * {@code BertEmbeddings}: word + absolute position + token type embeddings, LayerNorm, dropout. Every row here is one
 * sequence ({@code [CLS] note [SEP]}), so every token has type 0 and positions run 0..T-1.
 */
final class BertEmbeddings {
    final NDArray word, position, tokenType, layerNormWeight, layerNormBias;
    private final BertConfig config;

    BertEmbeddings(
            BertConfig config,
            NDArray word,
            NDArray position,
            NDArray tokenType,
            NDArray layerNormWeight,
            NDArray layerNormBias) {
        this.config = config;
        this.word = word;
        this.position = position;
        this.tokenType = tokenType;
        this.layerNormWeight = layerNormWeight;
        this.layerNormBias = layerNormBias;
    }

    NDArray forward(StepContext ctx, TokenBatch batch) {
        if (batch.seqLen() > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("rows of " + batch.seqLen()
                    + " tokens exceed BERT's max_position_embeddings (" + config.maxPositionEmbeddings() + ")");
        }
        batch.checkVocabulary(config.vocabSize());
        NDArray ids = ctx.manager().create(batch.inputIds(), new Shape(batch.batchSize(), batch.seqLen()));
        NDArray x = Embedding.embedding(ids, word, SparseFormat.DENSE).singletonOrThrow();
        // Position rows 0..T-1 and type row 0, broadcast over the batch (the sums keep x the receiver: ctx owns them).
        x = x.add(position.get(new NDIndex("0:" + batch.seqLen()))).add(tokenType.get(0));
        return BertLayer.dropout(
                ctx,
                BertLayer.layerNorm(x, layerNormWeight, layerNormBias, config.layerNormEps()),
                config.hiddenDropoutProb());
    }
}
