package dev.flashj.kv;

/**
 * What one application of an {@link EvictionPolicy} did to a sequence: entries per layer and the
 * sequence's KV bytes before and after compaction.
 */
public record EvictionReport(int[] entriesBefore, int[] entriesAfter, long bytesBefore, long bytesAfter) {
}
