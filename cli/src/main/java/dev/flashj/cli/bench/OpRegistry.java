package dev.flashj.cli.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every op {@code flashj bench} knows, by name, and the quick suite run without {@code --op}. */
public final class OpRegistry {
    private final Map<String, BenchOp> ops = new LinkedHashMap<>();

    public OpRegistry() {
        for (BenchOp op : List.of(new FlashPrefillOp(), new FlashDecodeOp(), new PagedDecodeOp(), new LightningOp(),
                NeighborhoodOp.oneD(), NeighborhoodOp.twoD(), MatMulOp.gemv(), MatMulOp.gemm(), new RmsNormOp(),
                new RopeOp())) {
            ops.put(op.name(), op);
        }
    }

    public List<BenchOp> all() {
        return List.copyOf(ops.values());
    }

    /** The ops named in {@code names} (each may be comma-separated; "all" is every op), or a usage error naming --op. */
    public List<BenchOp> select(List<String> names) {
        List<BenchOp> chosen = new ArrayList<>();
        for (String list : names) {
            for (String name : list.split(",")) {
                if (name.trim().equals("all")) {
                    ops.values().stream().filter(op -> !chosen.contains(op)).forEach(chosen::add);
                    continue;
                }
                BenchOp op = ops.get(name.trim());
                if (op == null) {
                    throw new BenchUsageException("--op", "unknown op '" + name.trim() + "' (known: "
                            + String.join(", ", ops.keySet()) + ")");
                }
                if (!chosen.contains(op)) {
                    chosen.add(op);
                }
            }
        }
        return chosen;
    }

    /**
     * The quick suite: every op once at a size that takes well under a second a run on a laptop CPU,
     * so that the whole suite (with the ceilings) stays under a minute.
     */
    public List<Case> quickSuite() {
        return List.of(
                quick("rmsnorm", "rows=64,dim=4096"),
                quick("rope", "t=64,h=32,d=128"),
                quick("gemv", "m=4096,k=4096"),
                quick("gemm", "m=1024,k=4096,n=64"),
                quick("flash-prefill", "h=16,kvh=4,n=512,d=128"),
                quick("flash-decode", "n=4096"),
                quick("paged-decode", "b=4,n=1024"),
                quick("lightning", "n=2048"),
                quick("neighborhood-1d", "n=2048"),
                quick("neighborhood-2d", "height=32,width=32"));
    }

    /**
     * One op at one shape.
     *
     * @param dtypes the dtypes a --cases line names; empty: --dtype, else the op's defaults on the backend
     */
    public record Case(BenchOp op, Shape shape, List<Dtype> dtypes) {
        public Case {
            dtypes = List.copyOf(dtypes);
        }

        public Case(BenchOp op, Shape shape) {
            this(op, shape, List.of());
        }
    }

    /** The op called {@code name}, if there is one. */
    public java.util.Optional<BenchOp> find(String name) {
        return java.util.Optional.ofNullable(ops.get(name));
    }

    private Case quick(String name, String shape) {
        BenchOp op = ops.get(name);
        return new Case(op, ShapeParser.parseOne(op.schema(), shape, "quick suite"));
    }
}
