package dev.flashj.cuda.bind;

import dev.flashj.cuda.ModuleFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every symbol the binding resolves is a function cuda.h declares, under that exact (versioned) name:
 * binding cuMemAlloc instead of cuMemAlloc_v2 would call the 32-bit-size ABI. Uses the toolkit's cuda.h
 * when one is installed (nvcc machines); the GPU run then resolves them for real.
 */
class CudaDriverSymbolsTest {

    private static Optional<Path> cudaHeader() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("CUDA_HOME")).ifPresent(h -> candidates.add(Path.of(h, "include/cuda.h")));
        candidates.add(Path.of("/usr/local/cuda/include/cuda.h"));
        try (Stream<Path> dirs = Files.list(Path.of("/usr/local"))) {
            dirs.filter(d -> d.getFileName().toString().startsWith("cuda-")).sorted().forEach(d -> candidates.add(d.resolve("include/cuda.h")));
        } catch (java.io.IOException e) {
            // no /usr/local: no toolkit
        }
        return candidates.stream().filter(Files::isRegularFile).findFirst();
    }

    @Test
    void boundSymbolsAreDeclaredInCudaH() throws Exception {
        Optional<Path> header = cudaHeader();
        Assumptions.assumeTrue(header.isPresent(), "no CUDA toolkit (cuda.h) on this machine; skipping");
        String declarations = Files.readString(header.get());
        String binding = Files.readString(ModuleFiles.resolve("src/main/java/dev/flashj/cuda/bind/CudaDriverLibrary.java"));
        // cuda.h declares plain names and #defines some to versioned symbols (cuMemAlloc -> cuMemAlloc_v2,
        // sometimes through __CUDA_API_PTDS(...)): the versioned one is what a C program links against.
        java.util.Map<String, String> versioned = new java.util.HashMap<>();
        Matcher d = Pattern.compile("#define\\s+(cu\\w+)\\s+(?:__CUDA_API_PT(?:DS|SZ)\\()?(cu\\w+)\\)?").matcher(declarations);
        while (d.find()) {
            versioned.put(d.group(1), d.group(2));
        }
        List<String> bound = new ArrayList<>();
        Matcher m = Pattern.compile("\"(cu[A-Za-z0-9_]+)\"").matcher(binding);
        while (m.find()) {
            bound.add(m.group(1));
        }
        int checked = 0;
        for (String symbol : bound) {
            if (versioned.containsKey(symbol) && !versioned.get(symbol).equals(symbol)) {
                // A plain name cuda.h redirects: allowed only as the fallback beside the versioned one.
                assertTrue(bound.contains(versioned.get(symbol)), symbol + " is bound but cuda.h links " + versioned.get(symbol));
                continue;
            }
            String plain = versioned.entrySet().stream().filter(e -> e.getValue().equals(symbol)).map(java.util.Map.Entry::getKey)
                    .findFirst().orElse(symbol);
            assertTrue(Pattern.compile("CUresult CUDAAPI " + plain + "\\(").matcher(declarations).find(),
                    symbol + " (" + plain + ") is not declared in " + header.get());
            checked++;
        }
        assertTrue(checked >= 38, "only " + checked + " symbols found in the binding");
    }
}
