package dev.flashj.model.cpu;

import dev.flashj.cpu.Ops;
import dev.flashj.model.ModelSession;

/** Test helper: greedy decoding on a session, with a look at each step's logits. */
final class Greedy {
    /** Sees the logits that chose the token of {@code step}. */
    interface StepObserver {
        void step(int step, float[] logits);
    }

    private Greedy() {
    }

    /** Feeds the prompt as one batch, then picks the argmax {@code steps} times; returns the picked ids. */
    static int[] run(ModelSession session, int[] prompt, int steps, StepObserver observer) {
        int[] out = new int[steps];
        int[] one = new int[1];
        float[] logits = session.feed(prompt, 0, prompt.length);
        for (int i = 0; i < steps; i++) {
            observer.step(i, logits);
            out[i] = Ops.argmax(logits, 0, logits.length);
            if (i + 1 < steps) {
                one[0] = out[i];
                logits = session.feed(one, 0, 1);
            }
        }
        return out;
    }

    static int[] run(ModelSession session, int[] prompt, int steps) {
        return run(session, prompt, steps, (s, l) -> {
        });
    }
}
