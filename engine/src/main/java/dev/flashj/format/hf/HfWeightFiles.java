package dev.flashj.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.flashj.FlashjException;
import dev.flashj.format.safetensors.SafetensorsEntry;
import dev.flashj.format.safetensors.SafetensorsFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The safetensors files of a checkpoint directory: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} lists. Knows which file holds each tensor.
 */
final class HfWeightFiles implements AutoCloseable {

    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";

    /** A tensor's header entry and the file that holds it. */
    record Located(SafetensorsFile file, SafetensorsEntry entry) {
    }

    private final List<SafetensorsFile> files;
    private final Map<String, Located> tensors;

    private HfWeightFiles(List<SafetensorsFile> files, Map<String, Located> tensors) {
        this.files = files;
        this.tensors = tensors;
    }

    /** Opens the weights of a directory, preferring a single model.safetensors as transformers does. */
    static HfWeightFiles open(Path dir) {
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            Map<String, Located> tensors = new LinkedHashMap<>();
            for (SafetensorsEntry e : file.entries()) {
                tensors.put(e.name(), new Located(file, e));
            }
            return new HfWeightFiles(List.of(file), tensors);
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index);
        }
        String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                || Files.exists(dir.resolve("pytorch_model.bin.index.json"))
                ? " (PyTorch .bin weights are not supported; convert them to safetensors)" : "";
        throw new FlashjException(dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE + hint);
    }

    private static HfWeightFiles openSharded(Path dir, Path index) {
        JsonFile json = JsonFile.read(index);
        JsonFile weightMap = json.optionalObject("weight_map")
                .orElseThrow(() -> json.error("weight_map", "missing"));
        // Shard file name → tensors the index places there, in index order.
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.node().properties()) {
            String field = weightMap.field(e.getKey());
            if (!e.getValue().isTextual()) {
                throw FlashjException.badFile(index, field, "must be a shard file name");
            }
            String shard = e.getValue().textValue();
            if (!isPlainFileName(shard)) {
                throw FlashjException.badFile(index, field, "'" + shard + "' is not a file name in " + dir);
            }
            byShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(e.getKey());
        }
        if (byShard.isEmpty()) {
            throw json.error("weight_map", "lists no tensors");
        }
        for (var e : byShard.entrySet()) {
            if (!Files.isRegularFile(dir.resolve(e.getKey()))) {
                throw FlashjException.badFile(index, weightMap.field(e.getValue().getFirst()),
                        "shard " + e.getKey() + " does not exist in " + dir);
            }
        }
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<String, Located> tensors = new LinkedHashMap<>();
            for (var e : byShard.entrySet()) {
                SafetensorsFile file = SafetensorsFile.open(dir.resolve(e.getKey()));
                files.add(file);
                for (String name : e.getValue()) {
                    SafetensorsEntry entry = file.entry(name).orElseThrow(() -> FlashjException.badFile(index,
                            weightMap.field(name), "tensor is not in shard " + e.getKey()));
                    tensors.put(name, new Located(file, entry));
                }
            }
            return new HfWeightFiles(List.copyOf(files), sortedByFile(files, tensors));
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    /** Orders tensors as they lie in the files (shard order, then header order). */
    private static Map<String, Located> sortedByFile(List<SafetensorsFile> files, Map<String, Located> tensors) {
        Map<String, Located> sorted = new LinkedHashMap<>();
        for (SafetensorsFile f : files) {
            for (SafetensorsEntry e : f.entries()) {
                Located l = tensors.get(e.name());
                if (l != null && l.file() == f) {
                    sorted.put(e.name(), l);
                }
            }
        }
        return sorted;
    }

    private static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0
                && name.indexOf(':') < 0;
    }

    List<SafetensorsFile> files() {
        return files;
    }

    /** Every tensor, in file order. */
    Map<String, Located> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    Optional<Located> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
