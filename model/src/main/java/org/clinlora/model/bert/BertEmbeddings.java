package org.clinlora.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.base.TokenBatch;

/**
 * {@code BertEmbeddings}: word + absolute position + token type embeddings, LayerNorm, dropout. Positions run 0..T-1;
 * token types are Hugging Face's {@code token_type_ids} when given (a sentence pair: 0 for the first segment, 1 for the
 * second), else 0 everywhere, as every row this project builds is one sequence ({@code [CLS] note [SEP]}).
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

    private static NDArray stepOwned(StepContext ctx, NDArray view) {
        view.attach(ctx.manager());
        return view;
    }

    /** {@code tokenTypeIds}: row-major [B, T] like the batch's ids, or null for type 0 everywhere. */
    NDArray forward(StepContext ctx, TokenBatch batch, long[] tokenTypeIds) {
        if (batch.seqLen() > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("rows of " + batch.seqLen()
                    + " tokens exceed BERT's max_position_embeddings (" + config.maxPositionEmbeddings() + ")");
        }
        batch.checkVocabulary(config.vocabSize());
        Shape bt = new Shape(batch.batchSize(), batch.seqLen());
        NDArray ids = ctx.manager().create(batch.inputIds(), bt);
        NDArray x = Embedding.embedding(ids, word, SparseFormat.DENSE).singletonOrThrow();
        // Position rows 0..T-1 broadcast over the batch (the sums keep x the receiver: ctx owns them). A view of a
        // weight is made in the weight's manager, the model's: the step takes it, or every forward would leave it
        // there.
        x = x.add(stepOwned(ctx, position.get(new NDIndex("0:" + batch.seqLen()))));
        if (tokenTypeIds == null) {
            // Type row 0 broadcast: the same sum as gathering an all-zero id tensor, without building one.
            x = x.add(stepOwned(ctx, tokenType.get(0)));
        } else {
            checkTokenTypes(batch, tokenTypeIds);
            NDArray types = ctx.manager().create(tokenTypeIds, bt);
            x = x.add(Embedding.embedding(types, tokenType, SparseFormat.DENSE).singletonOrThrow());
        }
        return BertLayer.dropout(
                ctx,
                BertLayer.layerNorm(x, layerNormWeight, layerNormBias, config.layerNormEps()),
                config.hiddenDropoutProb());
    }

    private void checkTokenTypes(TokenBatch batch, long[] tokenTypeIds) {
        if (tokenTypeIds.length != batch.inputIds().length) {
            throw new IllegalArgumentException("token_type_ids must be [" + batch.batchSize() + ", " + batch.seqLen()
                    + "] like input_ids, got " + tokenTypeIds.length + " values");
        }
        for (long t : tokenTypeIds) {
            if (t < 0 || t >= config.typeVocabSize())
                throw new IllegalArgumentException(
                        "token type id " + t + " is outside type_vocab_size [0, " + config.typeVocabSize() + ")");
        }
    }
}
