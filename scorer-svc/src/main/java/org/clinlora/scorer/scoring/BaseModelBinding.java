package org.clinlora.scorer.scoring;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.clinlora.platform.failure.Conflict;
import org.clinlora.platform.failure.Unprocessable;

/**
 * Which base model this scorer serves. One process holds one base model (its memory is the budget); which one follows
 * from what it is asked to score: the first adapter it resolves binds it to that adapter's base (its card names it), so
 * a scorer started with no configuration serves whatever was published. {@code clinlora.scorer.base-model} binds it up
 * front instead (Kubernetes: one scorer deployment per base model). An adapter of another base is then a 409 that names
 * both.
 */
@ApplicationScoped
public class BaseModelBinding {
    private final AtomicReference<String> bound = new AtomicReference<>();

    @Inject
    public BaseModelBinding(ScorerConfig config) {
        this(config.baseModel());
    }

    public BaseModelBinding(Optional<String> configured) {
        configured.filter(s -> !s.isBlank()).ifPresent(bound::set);
    }

    /** The base a stack trained on {@code base} is served with: this scorer's, binding it on first use. */
    public String bind(String base) {
        if (base == null || base.isBlank())
            throw new Unprocessable("no_base_model", "the adapter's card names no base model");
        String served = bound.updateAndGet(b -> b == null ? base : b);
        if (!served.equals(base)) {
            throw new Conflict(
                    "base_model_mismatch",
                    "the adapter was trained on base model '" + base + "', but this scorer serves '" + served
                            + "' (one base model per scorer; run another scorer for '" + base + "')");
        }
        return served;
    }

    /** The base model served, once bound. */
    public Optional<String> current() {
        return Optional.ofNullable(bound.get());
    }
}
