package org.clinlora.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import org.clinlora.model.base.InPlace;
import org.clinlora.model.base.StepContext;
import org.clinlora.model.lora.ActiveAdapters;
import org.clinlora.model.lora.LoraLinear;

/** The SwiGLU feed-forward block (LlamaMLP): down_proj(silu(gate_proj(x)) · up_proj(x)). */
public final class LlamaMlp {
    final LoraLinear gateProj, upProj, downProj;

    LlamaMlp(LoraLinear gate, LoraLinear up, LoraLinear down) {
        this.gateProj = gate;
        this.upProj = up;
        this.downProj = down;
    }

    NDArray forward(StepContext ctx, NDArray x, ActiveAdapters active) {
        NDArray gate = gateProj.forward(ctx, x, active);
        // silu without DJL's swish, whose beta scalar is unsafe under autograd
        NDArray silu = InPlace.mul(Activation.sigmoid(gate), gate);
        InPlace.release(gate);
        NDArray up = upProj.forward(ctx, x, active);
        NDArray product = InPlace.mul(silu, up);
        InPlace.release(up);
        NDArray out = downProj.forward(ctx, product, active);
        InPlace.release(product);
        return out;
    }
}
