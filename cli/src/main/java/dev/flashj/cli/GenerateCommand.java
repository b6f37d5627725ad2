package dev.flashj.cli;

import dev.flashj.FlashjException;
import dev.flashj.api.Flashj;
import dev.flashj.api.Generation;
import dev.flashj.api.GeneratedToken;
import dev.flashj.api.GenerationRequest;
import dev.flashj.api.GenerationResult;
import dev.flashj.api.LoadOptions;
import dev.flashj.api.Model;
import dev.flashj.api.Timings;
import dev.flashj.kv.EvictionPolicy;
import dev.flashj.kv.KvBudget;
import dev.flashj.sampling.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code flashj generate}: continues a prompt. The continuation alone goes to stdout, flushed per
 * token and ended with a newline; what was loaded, where it runs and the speed go to stderr.
 * With {@code --json}, stdout gets one JSON object instead. With {@code --prompts FILE} every line of
 * the file is generated in one batch ({@link PromptBatch}).
 */
@Command(name = "generate", sortOptions = false,
        description = "Continue a prompt: stream the generated text to stdout (details and speed on stderr).")
public final class GenerateCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Mixin
    private ModelOptions modelOptions;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT",
            description = "The text to continue (BOS is added when the model expects it).")
    private String prompt;

    @Option(names = "--prompts", paramLabel = "FILE",
            description = "Continue every line of FILE (blank lines skipped) as one batch; prints each result"
                    + " (with --json one object per line). Backends without batching run them in turn.")
    private Path promptsFile;

    @Option(names = "--batch", paramLabel = "N",
            description = "With --prompts: most sequences decoded together. Default: 16.")
    private Integer maxBatch;

    @Option(names = "--kv-pool-tokens", paramLabel = "N",
            description = "KV cache shared by all sequences, in tokens per layer (CPU). Default: half the free heap.")
    private Long kvPoolTokens;

    private int maxTokens = GenerationRequest.DEFAULT_MAX_TOKENS;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N",
            description = "Most tokens to generate; -1 = until the context is full. Default: 256.")
    void setMaxTokens(int value) {
        if (value < 1 && value != -1) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '--max-tokens': must be >= 1 (or -1 for no limit), was " + value);
        }
        maxTokens = value == -1 ? Integer.MAX_VALUE : value;
    }

    @Option(names = "--stop", paramLabel = "STR",
            description = "Stop when the text contains STR (not printed); repeatable.")
    private List<String> stopStrings = new ArrayList<>();

    @Mixin
    private SamplingOptions samplingOptions;

    @Mixin
    private DeviceOptions deviceOptions;

    @Option(names = "--kv-policy", paramLabel = "NAME", defaultValue = "none",
            description = "KV cache eviction: none, window (sinks + recent), snapkv or prefixkv. Default: none.")
    private String kvPolicy;

    @Option(names = "--kv-budget", paramLabel = "N",
            description = "KV entries kept per layer (prefixkv: on average over layers); needed by every policy but none.")
    private Integer kvBudget;

    @Option(names = "--kv-window", paramLabel = "W",
            description = "snapkv: observation window (default 32); window and prefixkv: recent tokens kept.")
    private Integer kvWindow;

    @Option(names = "--json", description = "Print one JSON object (token ids, text, finish reason, timings, KV bytes); with --prompts one"
                    + " object per line.")
    private boolean json;

    EvictionPolicy kvPolicy() {
        if (kvBudget != null && kvBudget < 1) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--kv-budget': must be >= 1, was "
                    + kvBudget);
        }
        if (kvWindow != null && kvWindow < 1) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--kv-window': must be >= 1, was "
                    + kvWindow);
        }
        try {
            return EvictionPolicy.parse(kvPolicy, kvBudget, kvWindow);
        } catch (FlashjException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() {
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--stop': must not be empty");
        }
        if ((prompt == null) == (promptsFile == null)) {
            throw new ParameterException(spec.commandLine(), "Give exactly one of '--prompt' and '--prompts'");
        }
        if (maxBatch != null && (maxBatch < 1 || promptsFile == null)) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--batch': must be >= 1 and"
                    + " used with '--prompts', was " + maxBatch);
        }
        if (kvPoolTokens != null && kvPoolTokens < 1) {
            throw new ParameterException(spec.commandLine(), "Invalid value for option '--kv-pool-tokens': must be"
                    + " >= 1, was " + kvPoolTokens);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SamplingParams sampling = samplingOptions.toParams();
        EvictionPolicy policy = kvPolicy();
        LoadOptions options = loadOptions(modelOptions, deviceOptions);
        if (kvPoolTokens != null) {
            options = options.withKvBudget(KvBudget.tokens(kvPoolTokens));
        }
        if (promptsFile != null) {
            if (!(policy instanceof EvictionPolicy.None)) {
                throw new ParameterException(spec.commandLine(), "'--kv-policy " + kvPolicy
                        + "' cannot be used with '--prompts': batched generation keeps every KV entry");
            }
            List<String> prompts = PromptBatch.readPrompts(spec.commandLine(), promptsFile);
            if (maxBatch != null) {
                options = options.withMaxBatch(maxBatch);
            }
            GenerationRequest template = GenerationRequest.builder("").maxTokens(maxTokens).sampling(sampling)
                    .stop(stopStrings).build();
            return PromptBatch.run(options, modelOptions.model(), prompts, template, json, out, err);
        }
        try (Model model = Flashj.load(modelOptions.model(), options)) {
            describeModel(err, model);
            err.println("sampling: " + sampling.describe());
            err.flush();
            GenerationRequest request = GenerationRequest.builder(prompt).maxTokens(maxTokens).sampling(sampling)
                    .stop(stopStrings).kvPolicy(policy).build();
            GenerationResult result;
            long kvBytes;
            try (Generation generation = model.stream(request)) {
                while (generation.hasNext()) {
                    GeneratedToken token = generation.next();
                    if (!json) {
                        out.print(token.text());
                        out.flush();
                    }
                }
                result = generation.result();
                kvBytes = generation.kvBytes();
            }
            if (json) {
                Map<String, Object> doc = toJson(result);
                doc.put("kv_policy", kvPolicy.toLowerCase(Locale.ROOT));
                doc.put("kv_bytes", kvBytes);
                Json.write(out, doc);
            } else {
                out.println();
                out.flush();
            }
            err.println(describeTimings(result));
            if (kvBytes >= 0) {
                err.println("kv cache: " + kvBytes + " bytes (policy " + kvPolicy.toLowerCase(Locale.ROOT) + ")");
            }
            err.flush();
        }
        return 0;
    }

    static LoadOptions loadOptions(ModelOptions model, DeviceOptions device) {
        LoadOptions options = LoadOptions.defaults().withDevice(device.device(), device.address()).withThreads(device.threads())
                .withContextLength(model.maxContext());
        return model.tokenizer().map(options::withTokenizer).orElse(options);
    }

    static void describeModel(PrintWriter err, Model model) {
        err.println("model: " + model.path() + " (" + model.describe() + ")");
        err.println("tokenizer: " + model.tokenizer().describe());
        err.println("device: " + model.deviceDescription());
    }

    static String describeTimings(GenerationResult result) {
        Timings t = result.timings();
        return String.format(Locale.ROOT,
                "prompt: %d tokens in %.1f ms (%.1f tokens/s); generated: %d tokens in %.1f ms (%.1f tokens/s);"
                        + " finish: %s",
                t.promptTokens(), t.promptMillis(), t.promptTokensPerSecond(), t.generatedTokens(),
                t.decodeMillis(), t.decodeTokensPerSecond(), result.finishReason().jsonName());
    }

    /** The --json document, keys in a fixed order. */
    static Map<String, Object> toJson(GenerationResult result) {
        Timings t = result.timings();
        Map<String, Object> timings = new LinkedHashMap<>();
        timings.put("prompt_tokens_per_second", t.promptTokensPerSecond());
        timings.put("decode_tokens_per_second", t.decodeTokensPerSecond());
        timings.put("prompt_ms", t.promptMillis());
        timings.put("decode_ms", t.decodeMillis());
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("prompt_tokens", Arrays.stream(result.promptTokens()).boxed().toList());
        doc.put("tokens", Arrays.stream(result.tokens()).boxed().toList());
        doc.put("text", result.text());
        doc.put("finish_reason", result.finishReason().jsonName());
        doc.put("timings", timings);
        return doc;
    }
}
