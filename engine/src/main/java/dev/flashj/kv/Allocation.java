package dev.flashj.kv;

/**
 * The outcome of asking a {@link BlockPool} for blocks. Running out is an expected result the
 * caller acts on (queue or preempt a sequence), not an exception.
 */
public sealed interface Allocation {

    /** The blocks were reserved. */
    record Granted(int blocks) implements Allocation {
    }

    /** Not enough free blocks: nothing was taken. */
    record OutOfBlocks(int requested, int free) implements Allocation {
        /** A message for a user: what was asked for and what is left. */
        public String describe(KvLayout layout) {
            return "KV cache budget exhausted: needed " + requested + " blocks of " + layout.blockSize()
                    + " tokens (" + requested * layout.bytesPerBlock() + " bytes), " + free + " free";
        }
    }

    default boolean granted() {
        return this instanceof Granted;
    }
}
