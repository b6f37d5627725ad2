package dev.flashj.cli;

import dev.flashj.FlashjException;
import dev.flashj.api.BatchHandle;
import dev.flashj.api.Flashj;
import dev.flashj.api.GenerationRequest;
import dev.flashj.api.GenerationResult;
import dev.flashj.api.LoadOptions;
import dev.flashj.api.Model;
import dev.flashj.api.Timings;
import dev.flashj.batch.SchedulerEvent;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * {@code flashj generate --prompts FILE}: one request per line, submitted together so the model
 * decodes them as a batch. Results are printed in file order once all are done: {@code [i] text}
 * per prompt, or with {@code --json} one object per line. Per-prompt timings, the aggregate decode
 * speed and any queueing or preemption go to stderr.
 */
final class PromptBatch {
    private PromptBatch() {
    }

    /** The non-blank lines of {@code file}; a missing, unreadable or empty file is a usage error. */
    static List<String> readPrompts(CommandLine commandLine, Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ParameterException(commandLine, "Invalid value for option '--prompts': " + file
                    + " is not UTF-8 text");
        } catch (IOException e) {
            throw new ParameterException(commandLine, "Invalid value for option '--prompts': cannot read " + file
                    + " (" + e.getMessage() + ")");
        }
        List<String> prompts = lines.stream().filter(l -> !l.isBlank()).toList();
        if (prompts.isEmpty()) {
            throw new ParameterException(commandLine, "Invalid value for option '--prompts': " + file
                    + " has no prompt (one per line)");
        }
        return prompts;
    }

    /** A batched result's timings: the "prompt" time is the wait for the first token. */
    private static String describeTimings(GenerationResult result) {
        Timings t = result.timings();
        return String.format(Locale.ROOT, "prompt: %d tokens, first token after %.1f ms (waiting included);"
                        + " generated: %d tokens in %.1f ms (%.1f tokens/s, shared with the batch); finish: %s",
                t.promptTokens(), t.promptMillis(), t.generatedTokens(), t.decodeMillis(), t.decodeTokensPerSecond(),
                result.finishReason().jsonName());
    }

    static int run(LoadOptions options, Path modelPath, List<String> prompts, GenerationRequest template, boolean json,
                   PrintWriter out, PrintWriter err) {
        try (Model model = Flashj.load(modelPath, options)) {
            GenerateCommand.describeModel(err, model);
            err.println("sampling: " + template.sampling().describe());
            if (!model.supportsBatching()) {
                err.println("note: " + model.deviceDescription() + " has no batched decoding; the " + prompts.size()
                        + " prompts run one after another");
            } else {
                err.println("batch: " + prompts.size() + " prompts, up to " + options.effectiveMaxBatch()
                        + " decoded together");
            }
            err.flush();
            long start = System.nanoTime();
            List<BatchHandle> handles = new ArrayList<>();
            for (String prompt : prompts) {
                handles.add(model.submit(new GenerationRequest(prompt, template.maxTokens(), template.sampling(),
                        template.stopStrings(), template.parseSpecial())));
            }
            List<GenerationResult> results = new ArrayList<>();
            for (int i = 0; i < handles.size(); i++) {
                try {
                    results.add(handles.get(i).result().join());
                } catch (CompletionException e) {
                    throw new FlashjException("prompt " + (i + 1) + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            int generated = 0;
            int preemptions = 0;
            for (int i = 0; i < results.size(); i++) {
                GenerationResult r = results.get(i);
                generated += r.tokens().length;
                if (json) {
                    Map<String, Object> doc = GenerateCommand.toJson(r);
                    doc.put("index", i + 1);
                    doc.put("prompt", prompts.get(i));
                    Json.writeLine(out, doc);
                } else {
                    out.println("[" + (i + 1) + "] " + r.text());
                }
                err.println("[" + (i + 1) + "] " + describeTimings(r));
                for (SchedulerEvent e : handles.get(i).events()) {
                    if (e instanceof SchedulerEvent.Preempted p) {
                        preemptions++;
                        err.println("[" + (i + 1) + "] preempted holding " + p.heldTokens() + " tokens (KV budget full)");
                    } else if (e instanceof SchedulerEvent.Queued q) {
                        err.println("[" + (i + 1) + "] waited for KV room (" + q.blocksNeeded() + " blocks needed, "
                                + q.blocksFree() + " free)");
                    }
                }
            }
            out.flush();
            err.println(String.format(Locale.ROOT, "batch: %d prompts, %d tokens generated in %.2f s (%.1f tokens/s"
                    + " overall), %d preemptions", prompts.size(), generated, seconds, generated / seconds, preemptions));
            err.flush();
        }
        return 0;
    }
}
