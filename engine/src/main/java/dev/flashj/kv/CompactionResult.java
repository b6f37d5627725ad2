package dev.flashj.kv;

/** What compacting one layer of a sequence did. */
public sealed interface CompactionResult {

    /** Entries kept and the sequence's KV bytes (all layers) before and after. */
    record Compacted(int entriesBefore, int entriesAfter, long bytesBefore, long bytesAfter) implements CompactionResult {
    }

    /** Shared blocks had to be copied before being rewritten and the pool had no room; nothing changed. */
    record NoRoom(Allocation.OutOfBlocks shortage) implements CompactionResult {
    }
}
