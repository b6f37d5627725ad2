package dev.flashj.cli;

import dev.flashj.FlashjException;
import dev.flashj.sampling.SamplingParams;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Picocli mixin: how tokens are picked, with llama.cpp's defaults. The ranges are checked by
 * {@link SamplingParams} (one place); a bad value is a usage error naming the option.
 */
public final class SamplingOptions {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    private float temperature = SamplingParams.DEFAULT_TEMPERATURE;
    private int topK = SamplingParams.DEFAULT_TOP_K;
    private float topP = SamplingParams.DEFAULT_TOP_P;
    private float minP = SamplingParams.DEFAULT_MIN_P;
    private float repeatPenalty = SamplingParams.DEFAULT_REPEAT_PENALTY;
    private int repeatLastN = SamplingParams.DEFAULT_REPEAT_LAST_N;
    private Long seed;

    @Option(names = "--temperature", paramLabel = "T",
            description = "Randomness; 0 = greedy (always the most likely token). Default: 0.8.")
    void setTemperature(float value) {
        check("--temperature", () -> SamplingParams.requireValidTemperature(value));
        temperature = value;
    }

    @Option(names = "--top-k", paramLabel = "K",
            description = "Keep the K most likely tokens; 0 = off. Default: 40.")
    void setTopK(int value) {
        check("--top-k", () -> SamplingParams.requireValidTopK(value));
        topK = value;
    }

    @Option(names = "--top-p", paramLabel = "P",
            description = "Keep the most likely tokens up to probability P (0 < P <= 1); 1 = off. Default: 0.95.")
    void setTopP(float value) {
        check("--top-p", () -> SamplingParams.requireValidTopP(value));
        topP = value;
    }

    @Option(names = "--min-p", paramLabel = "P",
            description = "Drop tokens less likely than P times the most likely one (0..1); 0 = off. Default: 0.05.")
    void setMinP(float value) {
        check("--min-p", () -> SamplingParams.requireValidMinP(value));
        minP = value;
    }

    @Option(names = "--repeat-penalty", paramLabel = "R",
            description = "Penalise tokens seen among the last --repeat-last-n (> 0); 1 = off. Default: 1.0.")
    void setRepeatPenalty(float value) {
        check("--repeat-penalty", () -> SamplingParams.requireValidRepeatPenalty(value));
        repeatPenalty = value;
    }

    @Option(names = "--repeat-last-n", paramLabel = "N",
            description = "How many recent tokens the repeat penalty looks at. Default: 64.")
    void setRepeatLastN(int value) {
        check("--repeat-last-n", () -> SamplingParams.requireValidRepeatLastN(value));
        repeatLastN = value;
    }

    @Option(names = "--seed", paramLabel = "S",
            description = "Random seed: the same seed gives the same text. Default: a random seed (printed).")
    void setSeed(long value) {
        seed = value;
    }

    /** The parameters, with a fresh random seed when none was given. */
    public SamplingParams toParams() {
        return new SamplingParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN,
                seed != null ? seed : SamplingParams.randomSeed());
    }

    private void check(String option, Runnable validation) {
        try {
            validation.run();
        } catch (FlashjException e) {
            throw new ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': " + e.getMessage());
        }
    }
}
